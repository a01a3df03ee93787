import type { IncomingMessage } from "node:http";
import { IntakeError } from "./errors.js";

/** Reads a request body up to `limit` bytes; larger bodies are refused with 413 before being buffered. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new IntakeError(413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      throw new IntakeError(413, `body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses JSON, reporting where it broke; a body must be an object or an array. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0)
    throw new IntakeError(400, "empty body: expected a JSON array of events", { reason: "malformed-json" });
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new IntakeError(400, `malformed JSON: ${(error as Error).message}`, { reason: "malformed-json" });
  }
}
