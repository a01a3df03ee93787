import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
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

const desk = () => readFile("policies/trading-desk.scorecard.yaml", "utf8");

describe("scorecards on disk", () => {
  it("are none without a *.scorecard.yaml, and refused whole when one file is invalid", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    expect((await loadScorecards(dir)).size).toBe(0);
    await writeFile(join(dir, "trading-desk.scorecard.yaml"), await desk());
    expect([...(await loadScorecards(dir)).keys()]).toEqual(["trading-desk"]);
    await writeFile(join(dir, "bad.scorecard.yaml"), "version: 2\n");
    await expect(loadScorecards(dir)).rejects.toBeInstanceOf(ScorecardError);
  });

  it("are read flat beside the policies (one ConfigMap has no subfolders); other files there are not scorecards", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    await writeFile(join(dir, "trading-desk.yaml"), await readFile("policies/trading-desk.yaml", "utf8"));
    await writeFile(join(dir, "trading-desk.directory.yaml"), "version: 1\nteam: trading-desk\npeople: []\n");
    await mkdir(join(dir, "scorecards"));
    await writeFile(join(dir, "scorecards", "trading-desk.yaml"), await desk());
    expect((await loadScorecards(dir)).size).toBe(0);
    await writeFile(join(dir, "trading-desk.scorecard.yaml"), await desk());
    const cards = await loadScorecards(dir);
    expect([...cards.keys()]).toEqual(["trading-desk"]);
    expect(cards.get("trading-desk")?.file).toBe("trading-desk.scorecard.yaml");
  });

  it("refuse a file whose team is not the team it is named for", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    await writeFile(join(dir, "legal.scorecard.yaml"), await desk());
    const refused = await loadScorecards(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ScorecardError);
    expect((refused as ScorecardError).problems).toEqual([
      "legal.scorecard.yaml: team: trading-desk, but the file is named for team legal",
    ]);
  });

  it("take a change without a restart; an invalid change keeps the set in force and is reported once", async () => {
    dir = await mkdtemp(join(tmpdir(), "scorecards-"));
    const file = join(dir, "trading-desk.scorecard.yaml");
    // Replaced whole, as a ConfigMap update is (an atomic swap): a 20 ms re-read must not see a half-written file.
    const replace = async (text: string) => {
      await writeFile(`${file}.next`, text);
      await rename(`${file}.next`, file);
    };
    await replace(await desk());
    const refused: string[][] = [];
    source = await createScorecardSource(dir, (problems) => refused.push(problems), 20);
    expect(source.current().get("trading-desk")?.title).toBe("Trading desk call review");
    await replace((await desk()).replace("title: Trading desk call review", "title: Desk review v2"));
    await expect.poll(() => source!.current().get("trading-desk")?.title).toBe("Desk review v2");
    await replace((await desk()).replace("passMark: 80", "passMark: high"));
    await expect.poll(() => refused.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refused).toHaveLength(1);
    expect(refused[0]![0]).toContain("passMark");
    expect(source.current().get("trading-desk")?.title).toBe("Desk review v2");
  });
});
