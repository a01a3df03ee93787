import type { IncomingMessage } from "node:http";
import { IntakeError } from "./errors.js";

/**
 * Reads a request body up to `limit` bytes; larger bodies are refused with 413 before being buffered past the
 * limit. Plain stream events rather than an async iterator: this runs for every delivery.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new IntakeError(413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new IntakeError(413, `body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => onError(new Error("the request closed before its body ended"));
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/**
 * How deeply a body's arrays and objects may nest. ACS's deliveries nest 6 levels (a batch, an event, its data,
 * recordingStorageInfo, recordingChunks, a chunk); a body accepted at any depth would be stored, then fail to
 * be serialised into a job (JSON.stringify recurses) and hold up the events stored after it.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws when brackets outside strings nest deeper than `max` (one pass over the bytes, before parsing). */
function assertDepth(body: Buffer, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) throw new IntakeError(400, `JSON nested deeper than ${max} levels`, { reason: "too-deep" });
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
}

/**
 * Whether a body holds more than `max` opening brackets, inside strings or not: when it does not, it cannot nest
 * deeper than `max`. Counted with Buffer#indexOf (native), so that an ordinary delivery (a CallStarted has 7) skips
 * the byte-by-byte walk of assertDepth — that walk was 4.4 of intake's ~64 µs of CPU per 2 KB delivery
 * (docs/performance.md "Intake").
 */
export function mayNestDeeperThan(body: Buffer, max: number): boolean {
  let count = 0;
  for (const bracket of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = body.indexOf(bracket); at >= 0; at = body.indexOf(bracket, at + 1)) if (++count > max) return true;
  }
  return false;
}

/** Parses JSON, reporting where it broke; a body must be an object or an array, nested at most MAX_JSON_DEPTH. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0)
    throw new IntakeError(400, "empty body: expected a JSON array of events", { reason: "malformed-json" });
  if (mayNestDeeperThan(body, MAX_JSON_DEPTH)) assertDepth(body, MAX_JSON_DEPTH);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new IntakeError(400, `malformed JSON: ${(error as Error).message}`, { reason: "malformed-json" });
  }
}
