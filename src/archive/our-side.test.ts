import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { recordDecision, skipDecision } from "../sessions/test-fixtures.js";
import type { TeamPolicy } from "../policy/index.js";
import { parseWavHeader } from "./channels.js";
import { receivedTap, recordingTeamMember, skipBytes, strippedBody } from "./our-side.js";

async function* from(pieces: Buffer[]) {
  for (const piece of pieces) yield piece;
}
async function collect(source: AsyncIterable<Buffer>) {
  const parts: Buffer[] = [];
  for await (const piece of source) parts.push(piece);
  return Buffer.concat(parts);
}

/** A canonical 2-channel 16-bit WAV: channel 0 sample = 100 + f, channel 1 = -(100 + f). */
function twoChannels(frames: number) {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1");
  h.writeUInt32LE(36 + frames * 4, 4);
  h.write("WAVEfmt ", 8, "latin1");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(16_000, 24);
  h.writeUInt32LE(64_000, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "latin1");
  h.writeUInt32LE(frames * 4, 40);
  const data = Buffer.alloc(frames * 4);
  for (let f = 0; f < frames; f++) {
    data.writeInt16LE(100 + f, f * 4);
    data.writeInt16LE(-(100 + f), f * 4 + 2);
  }
  return Buffer.concat([h, data]);
}

describe("receivedTap", () => {
  it("hashes what passes, untouched, and only once read to the end", async () => {
    const bytes = Buffer.from("what ACS served");
    const tap = receivedTap(from([bytes.subarray(0, 4), bytes.subarray(4)]));
    expect(() => tap.done()).toThrow(/not read to its end/);
    expect(await collect(tap.body)).toEqual(bytes);
    expect(tap.done()).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.length });
  });
});

describe("skipBytes", () => {
  it.each([0, 1, 3, 4, 5, 9, 10, 12])("skips %i bytes across pieces", async (offset) => {
    const bytes = Buffer.from("0123456789");
    const pieces = [bytes.subarray(0, 4), bytes.subarray(4, 5), bytes.subarray(5)];
    expect((await collect(skipBytes(from(pieces), offset))).toString()).toBe("0123456789".slice(offset));
  });
});

describe("strippedBody", () => {
  it("keeps our member's channel, hashes the whole served body, and says what it chose", async () => {
    const served = twoChannels(50);
    const body = strippedBody(
      from([served.subarray(0, 45), served.subarray(45, 47), served.subarray(47)]),
      {
        participants: [
          { participantId: "4:+1415", channel: 0 },
          { participantId: "8:acs:agent", channel: 1 },
        ],
      },
      (id) => id === "8:acs:agent",
      new Set(["4:+1415"]),
    );
    const out = await collect(body.body);
    expect(parseWavHeader(out)).toMatchObject({ channels: 1, dataBytes: 100 });
    expect(out.readInt16LE(44)).toBe(-100);
    expect(out.readInt16LE(44 + 98)).toBe(-149);
    expect(body.received()).toEqual({
      sha256: createHash("sha256").update(served).digest("hex"),
      sizeBytes: served.length,
    });
    expect(body.selection().selection.dropped).toEqual([{ channel: 0, participants: ["4:+1415"], why: "no-consent" }]);
  });
});

describe("recordingTeamMember", () => {
  const team = (id: string, members: string[]): TeamPolicy => ({
    file: `${id}.yaml`,
    hash: id,
    team: { id, name: id },
    members,
    exemptions: [],
    rules: [],
  });
  const policies = [team("t", ["8:acs:agent", "+44207*"]), team("other", ["8:acs:elsewhere"])];

  it.each([
    ["a member by id", "8:acs:agent", true],
    ["a member by number pattern", "4:+442071234567", true],
    ["in scope at the decision", "8:acs:scoped", true],
    ["a member of a team that does not record the call", "8:acs:elsewhere", false],
    ["a customer", "4:+14155550100", false],
  ])("%s", (_name, rawId, ours) => {
    const isOurs = recordingTeamMember(recordDecision({ teamId: "t", inScope: ["8:acs:scoped"] }), policies);
    expect(isOurs(rawId)).toBe(ours);
  });

  it("nobody is ours without a decision to record", () => {
    expect(recordingTeamMember(skipDecision, policies)("8:acs:agent")).toBe(false);
    expect(recordingTeamMember(undefined, policies)("8:acs:agent")).toBe(false);
  });
});
