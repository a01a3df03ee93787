import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createScorecardSource, loadScorecards, type ScorecardSource } from "./load.js";
import { ScorecardError } from "./scorecard.js";

let dir: string | undefined;
let source: ScorecardSource | undefined;
afterEach(async () => {
  source?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const desk = () => readFile("policies/scorecards/trading-desk.yaml", "utf8");

describe("scorecards on disk", () => {
  it("are none without a scorecards folder, and refused whole when one file is invalid", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    expect((await loadScorecards(dir)).size).toBe(0);
    await mkdir(join(dir, "scorecards"));
    await writeFile(join(dir, "scorecards", "trading-desk.yaml"), await desk());
    await writeFile(join(dir, "scorecards", "bad.yaml"), "version: 2\n");
    await expect(loadScorecards(dir)).rejects.toBeInstanceOf(ScorecardError);
  });

  it("take a change without a restart; an invalid change keeps the set in force and is reported once", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    await mkdir(join(dir, "scorecards"));
    const file = join(dir, "scorecards", "trading-desk.yaml");
    await writeFile(file, await desk());
    const refused: string[][] = [];
    source = await createScorecardSource(dir, (problems) => refused.push(problems), 20);
    expect(source.current().get("trading-desk")?.title).toBe("Trading desk call review");
    await writeFile(file, (await desk()).replace("title: Trading desk call review", "title: Desk review v2"));
    await expect.poll(() => source!.current().get("trading-desk")?.title).toBe("Desk review v2");
    await writeFile(file, (await desk()).replace("passMark: 80", "passMark: high"));
    await expect.poll(() => refused.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refused).toHaveLength(1);
    expect(refused[0]![0]).toContain("passMark");
    expect(source.current().get("trading-desk")?.title).toBe("Desk review v2");
  });
});
