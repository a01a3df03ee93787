import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blockIdFor, parseBlockId, planResume, sniffMedia } from "./blocks.js";

const md5 = (text: string) => createHash("md5").update(text).digest();
const id = (index: number, text = `block ${index}`) => blockIdFor(index, md5(text));

describe("block ids", () => {
  it("round-trip index and MD5, all of one length", () => {
    const ids = [0, 1, 9999, 2 ** 32 - 1].map((i) => id(i));
    expect(new Set(ids.map((x) => x.length))).toEqual(new Set([28]));
    expect(parseBlockId(id(7, "x"))).toEqual({ index: 7, md5: md5("x").toString("hex") });
  });

  it.each([["not base64!"], [Buffer.from("short").toString("base64")], [""]])("ignore foreign id %j", (foreign) => {
    expect(parseBlockId(foreign)).toBeUndefined();
  });
});

describe("resume planning", () => {
  const B = 1024;
  it.each([
    ["nothing staged", [], 0],
    ["a run of full blocks", [id(0), id(1), id(2)].map((name) => ({ name, size: B })), 3],
    ["listed out of order", [id(2), id(0), id(1)].map((name) => ({ name, size: B })), 3],
    ["a gap stops the run", [id(0), id(2)].map((name) => ({ name, size: B })), 1],
    [
      "a short block is re-downloaded",
      [
        { name: id(0), size: B },
        { name: id(1), size: 10 },
      ],
      1,
    ],
    ["block 0 missing", [{ name: id(1), size: B }], 0],
    [
      "foreign ids are ignored",
      [
        { name: "Zm9yZWlnbg==", size: B },
        { name: id(0), size: B },
      ],
      1,
    ],
  ] as const)("%s", (_what, staged, keptBlocks) => {
    const plan = planResume(staged, B);
    expect(plan.kept.map((b) => b.index)).toEqual([...Array(keptBlocks).keys()]);
    expect(plan.offset).toBe(keptBlocks * B);
  });
});

describe("media sniffing", () => {
  const wav = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WAVEfmt ")]);
  it.each([
    ["RIFF/WAVE", wav, "wav"],
    ["ID3 tag", Buffer.from("ID3\x04\x00rest", "latin1"), "mp3"],
    ["MPEG frame sync", Buffer.from([0xff, 0xfb, 0x90, 0x00]), "mp3"],
    ["ISO BMFF", Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from("ftypisom")]), "mp4"],
    ["HTML error page", Buffer.from("<!DOCTYPE html><html>"), undefined],
    ["JSON error", Buffer.from('{"error":{"code":"x"}}'), undefined],
    ["RIFF but not WAVE", Buffer.from("RIFF\0\0\0\0AVI LIST"), undefined],
    ["too short", Buffer.from("RI"), undefined],
    ["empty", Buffer.alloc(0), undefined],
  ])("%s → %s", (_what, head, kind) => {
    expect(sniffMedia(head)).toBe(kind);
  });
});
