import { describe, expect, it } from "vitest";
import { organisation } from "../policy/test-fixtures.js";
import type { AcsLogRecord, ReconcileDependencies } from "../reconcile/index.js";
import { reconcileCommand } from "./reconcile-commands.js";

const now = new Date("2026-12-04T12:00:00Z");
const records: AcsLogRecord[] = [
  { kind: "call-summary", correlationId: "c-seen", identifier: "acs:r_alice", callStartTime: "2026-12-04T10:00:00Z" },
  { kind: "call-summary", correlationId: "c-unseen", identifier: "acs:r_erin", callStartTime: "2026-12-04T10:30:00Z" },
];

function dependencies(recordsRead: AcsLogRecord[]): ReconcileDependencies {
  return {
    source: { kind: "storage", read: async () => ({ records: recordsRead, problems: [], read: ["b"] }) },
    ledgerSince: async () => [
      {
        serverCallId: "s-1",
        correlationId: "c-seen",
        outcome: "exempt",
        reason: "rule",
        updatedAt: "2026-12-04T10:01:00Z",
      },
    ],
    archived: async () => undefined,
    policies: organisation(),
    toleranceSeconds: 2,
    logDelayMs: 0,
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

describe("recorder reconcile", () => {
  it("prints one line per call and a summary, and exits 1 when a call was never seen", async () => {
    const { io, out } = capture();
    expect(await reconcileCommand(dependencies(records), { since: "24h" }, io, now)).toBe(1);
    expect(out[0]).toMatch(/exempt {2}correlationId=c-seen {2}teams=desk {2}serverCallId=s-1/);
    expect(out[1]).toMatch(/never-seen {2}correlationId=c-unseen {2}teams=legal/);
    expect(out[2]).toMatch(
      /2 call\(s\) with a team member \(verified=0 exempt=1 enforced=0 incomplete=0 never-seen=1\)/,
    );
  });

  it("exits 0 on a clean run, here one team's calls only, as CSV", async () => {
    const { io, out } = capture();
    expect(await reconcileCommand(dependencies(records), { since: "24h", team: "desk", csv: true }, io, now)).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^c-seen,exempt,/);
  });

  it("writes JSON lines ending with the summary", async () => {
    const { io, out } = capture();
    await reconcileCommand(dependencies(records), { since: "2026-12-04T00:00:00Z", json: true }, io, now);
    expect(out.map((line) => Object.keys(JSON.parse(line) as object)[0])).toEqual([
      "correlationId",
      "correlationId",
      "summary",
    ]);
  });

  it.each([
    [{ since: "yesterday" }, /--since/],
    [{ since: "1h", until: "2h" }, /--since before --until/],
    [{ since: "1h", json: true, csv: true }, /not both/],
    [{ since: "1h", team: "nobody" }, /no such team/],
  ])("refuses %j (exit 2)", async (options, message) => {
    const { io, err } = capture();
    expect(await reconcileCommand(dependencies(records), options, io, now)).toBe(2);
    expect(err.join("\n")).toMatch(message);
  });
});
