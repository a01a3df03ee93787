import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { stageInBlocks, type CutBlock, type StagingOptions } from "./staging.js";

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
/** Deterministic, non-repeating bytes, so a block cut at the wrong offset cannot match by accident. */
const bodyOf = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff));

/** Yields `whole` in pieces of the given sizes (cycled), recording how far it was read and whether it was closed. */
function piecesOf(whole: Buffer, sizes: number[]) {
  const seen = { bytes: 0, closed: false };
  async function* body() {
    try {
      for (let at = 0, i = 0; at < whole.length; i++) {
        const size = Math.min(sizes[i % sizes.length]!, whole.length - at);
        seen.bytes += size;
        yield whole.subarray(at, at + size);
        at += size;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { body: body(), seen };
}

const options = (extra: Partial<StagingOptions> = {}): StagingOptions => ({
  blockBytes: 8,
  concurrency: 2,
  firstIndex: 0,
  sha256: true,
  ...extra,
});

/** A stage that copies what it is given (the pool reuses the buffer afterwards). */
function recordingStage() {
  const blocks: { index: number; bytes: Buffer; md5: string }[] = [];
  const stage = async (block: CutBlock) => {
    blocks.push({ index: block.index, bytes: Buffer.from(block.bytes), md5: block.md5.toString("hex") });
  };
  return { blocks, stage };
}

describe("stageInBlocks cuts a body into blocks", () => {
  it.each([
    ["one piece spanning several blocks", 30, [30]],
    ["one-byte pieces", 19, [1]],
    ["pieces that straddle block boundaries", 41, [3, 7, 5]],
    ["pieces aligned with blocks", 24, [8]],
    ["a body of exactly one block", 8, [8]],
    ["a body shorter than a block", 5, [2]],
    ["pieces larger than two blocks", 50, [17]],
  ])("%s", async (_label, size, sizes) => {
    const whole = bodyOf(size);
    const { body } = piecesOf(whole, sizes);
    const { blocks, stage } = recordingStage();
    const result = await stageInBlocks(body, options(), stage);

    const expected = Array.from({ length: Math.ceil(size / 8) }, (_, i) => whole.subarray(i * 8, i * 8 + 8));
    expect(blocks.map((b) => b.index)).toEqual(expected.map((_, i) => i));
    expect(blocks.map((b) => b.bytes.toString("hex"))).toEqual(expected.map((b) => b.toString("hex")));
    expect(blocks.map((b) => b.md5)).toEqual(expected.map(md5));
    expect(result).toMatchObject({ bytes: size, blocks: expected.length, sha256: sha256(whole) });
    expect(result.buffers).toBeLessThanOrEqual(2);
  });

  it("an empty body stages nothing and allocates no buffer", async () => {
    const { blocks, stage } = recordingStage();
    const result = await stageInBlocks(piecesOf(Buffer.alloc(0), [1]).body, options(), stage);
    expect(blocks).toEqual([]);
    expect(result).toEqual({ bytes: 0, blocks: 0, sha256: sha256(Buffer.alloc(0)), buffers: 0 });
  });

  it("numbers blocks from firstIndex and skips the SHA-256 of a body that does not start at byte 0", async () => {
    const { blocks, stage } = recordingStage();
    const result = await stageInBlocks(
      piecesOf(bodyOf(20), [6]).body,
      options({ firstIndex: 5, sha256: false }),
      stage,
    );
    expect(blocks.map((b) => b.index)).toEqual([5, 6, 7]);
    expect(result).toMatchObject({ bytes: 20, blocks: 3, sha256: undefined });
  });
});

describe("stageInBlocks bounds memory with a pool", () => {
  it.each([1, 2, 3, 5])(
    "concurrency %i: never more buffers or blocks in flight, and a block's bytes are left alone until it settles",
    async (concurrency) => {
      const whole = bodyOf(64 * 40 + 13);
      let inFlight = 0;
      let maxInFlight = 0;
      const changed: number[] = [];
      const stage = async (block: CutBlock) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const before = md5(block.bytes);
        // Blocks settle out of order, as concurrent uploads do.
        await new Promise((resolve) => setTimeout(resolve, (block.index * 7) % 5));
        if (md5(block.bytes) !== before || before !== block.md5.toString("hex")) changed.push(block.index);
        inFlight--;
      };
      const result = await stageInBlocks(
        piecesOf(whole, [5, 64, 100]).body,
        options({ blockBytes: 64, concurrency }),
        stage,
      );
      expect(changed).toEqual([]);
      expect(result).toMatchObject({ bytes: whole.length, blocks: 41, sha256: sha256(whole) });
      expect(result.buffers).toBeLessThanOrEqual(concurrency);
      expect(maxInFlight).toBeLessThanOrEqual(concurrency);
      if (concurrency > 1) expect(maxInFlight).toBeGreaterThan(1);
    },
  );

  it("stops reading while every buffer is being staged", async () => {
    const { body, seen } = piecesOf(bodyOf(1000), [4]);
    const release: (() => void)[] = [];
    const stage = () => new Promise<void>((resolve) => release.push(resolve));
    const running = stageInBlocks(body, options({ blockBytes: 8, concurrency: 2 }), stage);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Two blocks of 8 in flight; reading waits for one of them.
    expect(release).toHaveLength(2);
    expect(seen.bytes).toBe(16);
    while (release.length > 0 || seen.bytes < 1000) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(running).resolves.toMatchObject({ bytes: 1000, blocks: 125, buffers: 2 });
  });
});

describe("stageInBlocks fails fast", () => {
  it("a block refused synchronously: nothing else is staged and the body is closed", async () => {
    const { body, seen } = piecesOf(bodyOf(1000), [3]);
    const calls: number[] = [];
    const refusal = new Error("not a recording");
    const stage = (block: CutBlock) => {
      calls.push(block.index);
      throw refusal;
    };
    await expect(stageInBlocks(body, options({ concurrency: 4 }), stage)).rejects.toBe(refusal);
    expect(calls).toEqual([0]);
    expect(seen.bytes).toBeLessThanOrEqual(9);
    expect(seen.closed).toBe(true);
  });

  it("a failed upload: the error is thrown once the blocks in flight settle, and reading stops", async () => {
    const { body, seen } = piecesOf(bodyOf(10_000), [8]);
    const failure = new Error("503 from storage");
    let settled = 0;
    const stage = async (block: CutBlock) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      settled++;
      if (block.index === 3) throw failure;
    };
    await expect(stageInBlocks(body, options({ concurrency: 3 }), stage)).rejects.toBe(failure);
    expect(seen.closed).toBe(true);
    expect(seen.bytes).toBeLessThan(10_000);
    expect(settled).toBeLessThanOrEqual(3 + 3);
  });

  it("a falsy rejection still counts as a failure", async () => {
    const stage = (block: CutBlock) => (block.index === 1 ? Promise.reject(0) : Promise.resolve());
    await expect(stageInBlocks(piecesOf(bodyOf(100), [8]).body, options(), stage)).rejects.toBe(0);
  });
});
