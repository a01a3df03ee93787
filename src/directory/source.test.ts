import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { readPolicyFiles } from "../policy/index.js";
import { DirectoryError } from "./load.js";
import { createFileDirectorySource, type FileDirectorySource } from "./source.js";

const ALICE = "8:acs:r_alice";
const file = (name: string) =>
  `version: 1\nteam: desk\npeople:\n  - { id: "${ALICE}", displayName: ${name}, role: agent }\n`;

let dir: string;
let source: FileDirectorySource | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "directory-source-"));
});
afterEach(async () => {
  source?.close();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});
const open = () => createFileDirectorySource(dir, createLogger("silent", "test"), { recheckMs: 60_000 });

describe("the file-backed directory", () => {
  it("refuses to start on an invalid file", async () => {
    await writeFile(join(dir, "desk.directory.yaml"), file("Alice").replace("agent", "Agent"));
    await expect(open()).rejects.toBeInstanceOf(DirectoryError);
  });

  it("swaps a valid change in whole, and keeps the names in force when a change is invalid", async () => {
    await writeFile(join(dir, "desk.directory.yaml"), file("Alice Smith"));
    source = await open();
    expect((await source.lookup("desk", ALICE))?.displayName).toBe("Alice Smith");
    expect(await source.reload()).toEqual({ result: "unchanged" });
    await writeFile(join(dir, "desk.directory.yaml"), file("Alice Jones"));
    expect(await source.reload()).toEqual({ result: "success" });
    expect((await source.search("desk", "jones")).identities).toEqual([ALICE]);
    await writeFile(join(dir, "desk.directory.yaml"), file("Alice Brown").replace(ALICE, "alice"));
    expect((await source.reload()).result).toBe("failure");
    expect((await source.lookup("desk", ALICE))?.displayName).toBe("Alice Jones");
  });

  it("starts with no directory files at all (names are optional)", async () => {
    source = await open();
    expect(await source.lookup("desk", ALICE)).toBeUndefined();
  });

  it("is not read as a policy", async () => {
    await writeFile(join(dir, "desk.directory.yaml"), file("Alice"));
    await writeFile(join(dir, "desk.yaml"), "version: 1\n");
    expect((await readPolicyFiles(dir)).map((f) => f.name)).toEqual(["desk.yaml"]);
  });
});
