import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IntakeError } from "./errors.js";
import { MAX_JSON_DEPTH, mayNestDeeperThan, parseJson, readBody } from "./body.js";

const LIMIT = 1024;
let server: Server;
let port: number;
const outcomes: (Buffer | Error)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req, LIMIT).then(
      (body) => {
        outcomes.push(body);
        res.end(String(body.length));
      },
      (error: Error) => {
        outcomes.push(error);
        res.statusCode = error instanceof IntakeError ? error.status : 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends the parts as a chunked body (no Content-Length), optionally aborting after them. */
function send(parts: string[], abort = false): Promise<number | "aborted"> {
  return new Promise((resolve, reject) => {
    const req = request({ port, method: "POST", host: "127.0.0.1" }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("error", (error) => (abort ? resolve("aborted") : reject(error)));
    for (const part of parts) req.write(part);
    if (abort) setTimeout(() => req.destroy(), 50);
    else req.end();
  });
}

const settled = async (count: number) => {
  for (let i = 0; i < 100 && outcomes.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  return outcomes.at(-1);
};

describe("readBody", () => {
  it("joins a body sent in several chunks", async () => {
    expect(await send(["[1,", "2,", "3]"])).toBe(200);
    expect((await settled(1))?.toString()).toBe("[1,2,3]");
  });

  it("refuses a chunked body that grows past the limit with 413, without a Content-Length to go by", async () => {
    expect(await send(["x".repeat(600), "x".repeat(600)])).toBe(413);
    expect(await settled(2)).toBeInstanceOf(IntakeError);
  });

  it("fails (never hangs) when the sender goes away mid-body", async () => {
    await send(["[1,"], true);
    const outcome = await settled(3);
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome).not.toBeInstanceOf(IntakeError);
  });
});

describe("parseJson", () => {
  const nested = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);
  it.each([
    ["arrays at the bound", nested(MAX_JSON_DEPTH)],
    ["objects at the bound", `${'{"a":'.repeat(MAX_JSON_DEPTH - 1)}{}${"}".repeat(MAX_JSON_DEPTH - 1)}`],
    ["brackets inside strings", JSON.stringify({ text: "[[[[[[[[[[".repeat(10), quoted: '\\"[[[[' })],
  ])("parses %s", (_what, text) => {
    expect(() => parseJson(Buffer.from(text))).not.toThrow();
  });

  it.each([
    ["arrays", nested(MAX_JSON_DEPTH + 1)],
    ["objects", `${'{"a":'.repeat(MAX_JSON_DEPTH)}{}${"}".repeat(MAX_JSON_DEPTH)}`],
    ["a deep extra field", `[{"id":"1","data":{"extra":${nested(20_000)}}}]`],
    ["unbalanced opening brackets", "[".repeat(40_000)],
  ])("refuses %s nested deeper than the bound with 400 (too-deep)", (_what, text) => {
    let refused: unknown;
    try {
      parseJson(Buffer.from(text));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(IntakeError);
    expect(refused).toMatchObject({ status: 400, reason: "too-deep" });
    expect((refused as Error).message).toContain(`deeper than ${MAX_JSON_DEPTH}`);
  });
});

describe("mayNestDeeperThan (the count that spares most bodies the byte-by-byte depth walk)", () => {
  it.each([
    ["no brackets", "1", 0, false],
    ["one array at a bound of 1", "[]", 1, false],
    ["two opening brackets at a bound of 1", "[{}]", 1, true],
    ["brackets of both kinds counted together", '{"a":[{"b":[]}]}', 3, true],
    ["brackets of both kinds at the bound", '{"a":[{"b":1}]}', 3, false],
    ["brackets inside strings (an upper bound: counted too)", '["[[[["]', 4, true],
    ["closing brackets not counted", "[]]]]]", 1, false],
  ])("%s", (_what, text, max, expected) => {
    expect(mayNestDeeperThan(Buffer.from(text), max)).toBe(expected);
  });

  it("is an upper bound of the depth: any body it clears is accepted by the full walk too", () => {
    const bodies = [
      JSON.stringify([{ id: "1", data: { a: [1, [2, [3]]], b: { c: { d: "[{" } } } }]),
      "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH),
    ];
    for (const body of bodies) {
      expect(mayNestDeeperThan(Buffer.from(body), MAX_JSON_DEPTH)).toBe(false);
      expect(() => parseJson(Buffer.from(body))).not.toThrow();
    }
  });
});
