import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { bufferBody, parseRange, sha256Hex, streamBody } from "./body.js";

describe("parseRange", () => {
  it.each([
    [undefined, undefined],
    ["bytes=undefined", undefined],
    ["bytes=0", undefined],
    ["items=0-1", undefined],
    ["bytes=0-99", { start: 0, end: 100 }],
    ["bytes=4-7", { start: 4, end: 8 }],
    ["bytes=10-", { start: 10, end: 1000 }],
    ["bytes=990-5000", { start: 990, end: 1000 }],
    ["bytes=-10", { start: 990, end: 1000 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=7-4", undefined],
    ["bytes=0-1,5-6", undefined],
  ])("%s → %j", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});

describe("streamBody", () => {
  it("streams the range with backpressure and hashes the whole body", async () => {
    const body = bufferBody(Buffer.from("hello, simulator"));
    const out: Buffer[] = [];
    await pipeline(
      streamBody(body, 7, 16),
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _enc, cb) {
          out.push(chunk);
          setImmediate(cb);
        },
      }),
    );
    expect(Buffer.concat(out).toString()).toBe("simulator");
    expect(await sha256Hex(body)).toBe(createHash("sha256").update("hello, simulator").digest("hex"));
  });
});
