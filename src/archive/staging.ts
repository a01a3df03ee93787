/**
 * Cuts a body into fixed-size blocks and hands each to `stage`, hashing on the way: every piece read updates
 * the body's SHA-256 and the current block's MD5 while it is still in cache, and is copied once into a pooled
 * block buffer. No I/O of its own: ingest.ts passes a `stage` that uploads the block, tests pass a fake.
 *
 * Memory is bounded by the pool, not by the garbage collector: at most `concurrency` block buffers exist, a
 * buffer is reused only once the block staged from it has settled, and reading waits while all of them are
 * being staged. (The pieces a body yields die young once copied; keeping them instead of copying measured
 * worse: more CPU per byte to send them as a stream, and more RSS, because pieces held that long are promoted.)
 */
import { createHash } from "node:crypto";

export interface CutBlock {
  index: number;
  /** The block's bytes: a view of a pooled buffer, left untouched until the promise `stage` returned settles. */
  bytes: Buffer;
  /** MD5 of `bytes` (the block's Content-MD5 and part of its id). */
  md5: Buffer;
}

/**
 * Stages one block; the promise settles when it is stored. It may throw synchronously to refuse the block
 * before anything is sent (block 0 is not a recording): then nothing more is read or staged.
 */
export type StageBlock = (block: CutBlock) => Promise<unknown>;

export interface StagingOptions {
  blockBytes: number;
  /** Block buffers at once, being filled or staged: up to this many blocks in flight; memory ≈ this × blockBytes. */
  concurrency: number;
  /** Index of the first block cut (blocks kept from an earlier attempt come before it). */
  firstIndex: number;
  /** Compute the SHA-256 of the whole body (meaningful only when the body starts at byte 0). */
  sha256: boolean;
}

export interface StagedBody {
  /** Bytes read from the body. */
  bytes: number;
  /** Blocks staged (indexes firstIndex … firstIndex + blocks − 1). */
  blocks: number;
  sha256: string | undefined;
  /** Block buffers allocated; never more than `concurrency`. */
  buffers: number;
}

export async function stageInBlocks(
  body: AsyncIterable<Buffer>,
  options: StagingOptions,
  stage: StageBlock,
): Promise<StagedBody> {
  const whole = options.sha256 ? createHash("sha256") : undefined;
  const free: Buffer[] = [];
  let buffers = 0;
  const takeBuffer = () => {
    const recycled = free.pop();
    if (recycled) return recycled;
    buffers++;
    return Buffer.allocUnsafe(options.blockBytes);
  };
  const inFlight = new Set<Promise<void>>();
  // Wrapped, so that even a falsy rejection value counts as a failure.
  let failure: { error: unknown } | undefined;
  let index = options.firstIndex;
  let bytes = 0;

  const send = async (buffer: Buffer, length: number, md5: Buffer) => {
    const block = { index: index++, bytes: length === buffer.length ? buffer : buffer.subarray(0, length), md5 };
    const pending: Promise<void> = stage(block)
      .then(
        () => {
          free.push(buffer);
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (failure) throw failure.error;
  };

  let buffer: Buffer | undefined;
  let filled = 0;
  let md5 = createHash("md5");
  try {
    for await (const piece of body) {
      whole?.update(piece);
      bytes += piece.length;
      for (let from = 0; from < piece.length;) {
        buffer ??= takeBuffer();
        const n = Math.min(piece.length - from, options.blockBytes - filled);
        const part = n === piece.length ? piece : piece.subarray(from, from + n);
        md5.update(part);
        part.copy(buffer, filled);
        filled += n;
        from += n;
        if (filled === options.blockBytes) {
          await send(buffer, filled, md5.digest());
          buffer = undefined;
          filled = 0;
          md5 = createHash("md5");
        }
      }
    }
    if (buffer && filled > 0) await send(buffer, filled, md5.digest());
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  return { bytes, blocks: index - options.firstIndex, sha256: whole?.digest("hex"), buffers };
}
