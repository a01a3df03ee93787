// A bundle over 4 GiB (docs/evidence.md "Bundles"): a chunk of 4 GiB + 1000 bytes makes yazl write the ZIP64 forms
// (a 24-byte data descriptor for it, ZIP64 offsets and end records for the files after it), which the sealer's
// tiling (src/retrieval/zip-tiling.ts) and the offline verifier must both walk. The bundle is written to a sparse
// file — the chunk is zeros, left as a hole, so the test needs no 4 GiB of disk — and verified from it. A walk that
// took a ZIP64 record for its short form would misplace every byte after the chunk: structure hash, sizes and
// hashes would all disagree.
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generatePrivateKeyPem, signerFromPrivateKeyPem } from "../../src/evidence/index.js";
import { BundleWriter, verifyBundleFile } from "../../src/retrieval/index.js";

const CHUNK_BYTES = 2 ** 32 + 1000;
const PIECE = Buffer.alloc(8 * 1024 * 1024);
const CHUNK = "recordings/desk/call-1/rec-1/0-audio.wav";
const LEDGER_PARTS_MISSING = [
  "evidence/ledger-checkpoint.json is missing: the ledger slice is not covered",
  "evidence/ledger-slice.json is missing or not a ledger slice",
];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bundle-zip64-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function* zeros(size: number) {
  for (let left = size; left > 0; left -= PIECE.length) yield left >= PIECE.length ? PIECE : PIECE.subarray(0, left);
}

/** Writes the zip's bytes at their offsets, leaving all-zero pieces as holes (a sparse file reads them as zeros). */
async function writeSparse(path: string, bytes: Readable): Promise<number> {
  const file = await open(path, "w");
  let at = 0;
  try {
    for await (const piece of bytes as AsyncIterable<Buffer>) {
      if (!piece.equals(PIECE.subarray(0, piece.length))) await file.write(piece, 0, piece.length, at);
      at += piece.length;
    }
    await file.truncate(at);
  } finally {
    await file.close();
  }
  return at;
}

it("writes and verifies a bundle over 4 GiB (ZIP64): every header sealed, both files hashed as bundle.json lists them", async () => {
  const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
  const writer = new BundleWriter(signer, new Date("2026-12-04T10:00:00Z"));
  const chunkHash = writer.addStream(CHUNK, CHUNK_BYTES, async () => Readable.from(zeros(CHUNK_BYTES)));
  // A file after the big one: its local header lies past 4 GiB, so only a ZIP64 offset can name it.
  const after = randomBytes(64);
  writer.addBuffer("recordings/desk/call-1/rec-1/after.bin", after);
  const path = join(dir, "bundle.zip");
  const written = writeSparse(path, writer.output);
  await chunkHash;
  writer.finish("export-zip64");
  const size = await written;
  expect(size).toBeGreaterThan(CHUNK_BYTES);

  const report = await verifyBundleFile(path, signer.publicKeyPem);
  // This bundle holds only files (no export's ledger slice and checkpoint): exactly those two are missing, nothing else.
  expect(report.problems).toEqual(LEDGER_PARTS_MISSING);
  expect(report.verified).toContain("zip structure: every header and the central directory as sealed");
  expect(report.verified).toContain("2 files hashed against bundle.json");
}, 240_000);
