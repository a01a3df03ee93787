import { describe, expect, it } from "vitest";
import type { Checkpoint } from "../../../src/evidence/index.js";
import type { EvidenceCheckpointResults } from "../../dependencies.js";
import { checkpointAndReport, checkpointEvidenceJob } from "./checkpoint-evidence.js";

const checkpoint = { seq: 7 } as Checkpoint;
const written = {
  written: true as const,
  blob: "_evidence/checkpoints/ledger/000000000007.json",
  checkpoint,
  checkedSince: 1,
};

/** A logger that keeps what was logged, level and fields. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, logger: { info: at("info"), error: at("error"), warn: at("warn") } as never };
}

describe("evidence checkpoint job", () => {
  it.each<[string, EvidenceCheckpointResults, boolean, string[]]>([
    ["both chains written", { ledger: written, audit: written }, true, []],
    ["nothing new is no failure", { ledger: { written: false, reason: "already covered" }, audit: written }, true, []],
    [
      "a broken chain is alerted with its first bad entry and never counted as covered",
      {
        ledger: {
          written: false,
          reason: "chain broken",
          problem: { seq: 4, message: "entry 4: prev does not match" },
        },
        audit: written,
      } as EvidenceCheckpointResults,
      false,
      ["ledger"],
    ],
    [
      "a failed write is alerted",
      { ledger: written, audit: { written: false, reason: "failed", error: new Error("storage away") } },
      false,
      ["audit"],
    ],
  ])("%s", async (_name, results, covered, alerted) => {
    const { lines, logger } = recordingLogger();
    const report = await checkpointAndReport({ logger, checkpointEvidence: async () => results });
    expect(report.covered).toBe(covered);
    expect(lines.filter((l) => l.fields.alert === "evidence-checkpoint").map((l) => l.fields.chain)).toEqual(alerted);
  });

  it("the periodic job fails (so the board and `recorder jobs failed` show it) when a chain is not covered", async () => {
    const { logger } = recordingLogger();
    const broken = {
      ledger: written,
      audit: { written: false, reason: "failed", error: new Error("storage away") },
    } as EvidenceCheckpointResults;
    await expect(
      checkpointEvidenceJob.perform(
        { logger, checkpointEvidence: async () => broken },
        {},
        {
          attempt: 1,
          progress: async () => undefined,
        },
      ),
    ).rejects.toThrow(/evidence checkpoint incomplete/);
    expect(checkpointEvidenceJob.schedule?.everyMs({ evidenceCheckpointEveryMs: 3_600_000 } as never)).toBe(3_600_000);
  });
});
