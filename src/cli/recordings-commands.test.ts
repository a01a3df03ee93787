import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listCommand, peopleCell, table } from "./recordings-commands.js";

describe("table", () => {
  it("heads and aligns columns, leaving the last one ragged", () => {
    expect(
      table(
        ["TEAM", "SIZE", "CALL"],
        [
          ["trading-desk", "1.0 MB", "a"],
          ["qa", "12.5 MB", "bbb"],
        ],
      ),
    ).toEqual(["TEAM          SIZE     CALL", "trading-desk  1.0 MB   a", "qa            12.5 MB  bbb"]);
  });
  it("prints nothing for no rows, and rows alone when asked", () => {
    expect(table(["A"], [])).toEqual([]);
    expect(table(["A", "B"], [["x", "y"]], false)).toEqual(["x  y"]);
  });
});

describe("recordings list", () => {
  const summary = {
    recordingId: "rec-1",
    serverCallId: "call-1",
    team: "trading-desk",
    startedAt: "2026-12-04T10:00:00.000Z",
    durationSeconds: 61.5,
    participants: ["4:+14155550100", "8:acs:r_a", "8:acs:r_b"],
    people: [
      { id: "4:+14155550100", displayName: null },
      { id: "8:acs:r_a", displayName: "Alice Smith" },
      { id: "8:acs:r_b", displayName: "Bob" },
    ],
    outcome: "required",
    ruleId: "all-calls",
    chunkCount: 2,
    totalBytes: 2_000_000,
  };
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? "");
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ items: [summary], nextCursor: null }));
  });
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("prints a table with headers", async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await listCommand({ url, token: "t" }, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
    expect(out[0]?.split(/\s+/)).toEqual([
      "STARTED",
      "TEAM",
      "DURATION",
      "CHUNKS",
      "SIZE",
      "OUTCOME",
      "RULE",
      "RECORDING",
      "CALL",
      "STORED",
      "PEOPLE",
    ]);
    expect(out[1]?.split(/\s+/)).toEqual([
      "2026-12-04T10:00:00.000Z",
      "trading-desk",
      "61.5s",
      "2",
      "2.0",
      "MB",
      "required",
      "all-calls",
      "rec-1",
      "call-1",
      "archive",
      "+14155550100,",
      "Alice",
      "Smith,",
      "Bob",
    ]);
    expect(out[1]).toMatch(/call-1 {2}archive {2}\+14155550100, Alice Smith, Bob$/);
    expect(err).toEqual(["1 recording(s)"]);
  });

  it("searches by name or number with q=", async () => {
    const io = { out: () => undefined, err: () => undefined };
    expect(await listCommand({ url, token: "t", search: "020 7123 4567" }, io)).toBe(0);
    expect(asked.at(-1)).toBe("/api/recordings?q=020+7123+4567");
  });

  it("shows ids when the server sends no names", () => {
    expect(peopleCell({ participants: ["8:acs:r_a", "4:+44"] })).toBe("8:acs:r_a,4:+44");
  });
});
