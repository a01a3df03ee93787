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
