// A servable object body: either a small buffer or bytes computed on demand from an offset.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setImmediate as yieldToLoop } from "node:timers/promises";

export interface Body {
  size: number;
  /** Bytes [start, end) as a sequence of buffers. */
  read(start: number, end: number): Iterable<Buffer>;
}

export function bufferBody(buf: Buffer): Body {
  return { size: buf.length, read: (start, end) => [buf.subarray(start, end)] };
}

/** A byte-stream of the range, pulled lazily so a slow reader never makes the simulator buffer. */
export function streamBody(body: Body, start: number, end: number): Readable {
  return Readable.from(body.read(start, end), { objectMode: false, highWaterMark: 64 * 1024 });
}

/** Hex SHA-256 of the whole body, computed in pieces and yielding so large chunks do not block the loop. */
export async function sha256Hex(body: Body): Promise<string> {
  const hash = createHash("sha256");
  let sinceYield = 0;
  for (const piece of body.read(0, body.size)) {
    hash.update(piece);
    sinceYield += piece.length;
    if (sinceYield >= 8 * 1024 * 1024) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return hash.digest("hex");
}

export type ByteRange = { start: number; end: number };

/**
 * Parses a single-range `Range` header. Returns undefined when absent or unparsable (the SDK 1.5.1
 * sends `bytes=undefined`: serve the whole body), "unsatisfiable" when it starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return undefined;
  if (start >= size) return "unsatisfiable";
  if (last === "") return { start, end: size };
  const lastByte = Number(last);
  if (!Number.isSafeInteger(lastByte) || lastByte < start) return undefined;
  return { start, end: Math.min(size, lastByte + 1) };
}
