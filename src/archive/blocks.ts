/**
 * Pure pieces of resumable ingest: block ids, resume planning and media sniffing. No I/O.
 *
 * A block id carries its index and the MD5 of the bytes staged under it (the same MD5 sent as the
 * block's Content-MD5, so no extra hashing pass): base64 of 4 bytes big-endian index + 16 bytes MD5
 * (20 bytes → 28 base64 characters; Azure wants every id of a blob to have the same length). The id is a
 * pure function of (index, block bytes), so the same source always stages the same ids, and the
 * uncommitted block list alone says how far a previous attempt got and what it read. node:crypto cannot
 * serialise a running SHA-256, so a resumed chunk's SHA-256 is computed by reading the committed blob
 * back, each block checked against the MD5 in its id (see ingest.ts).
 */
export const BLOCK_ID_BYTES = 20;

export interface StagedBlock {
  index: number;
  /** Hex MD5 of the block's bytes. */
  md5: string;
  size: number;
}

export function blockIdFor(index: number, md5: Buffer): string {
  const raw = Buffer.alloc(BLOCK_ID_BYTES);
  raw.writeUInt32BE(index, 0);
  md5.copy(raw, 4, 0, 16);
  return raw.toString("base64");
}

export function parseBlockId(id: string): { index: number; md5: string } | undefined {
  const raw = Buffer.from(id, "base64");
  if (raw.length !== BLOCK_ID_BYTES || raw.toString("base64") !== id) return undefined;
  return { index: raw.readUInt32BE(0), md5: raw.subarray(4).toString("hex") };
}

export interface ResumePlan {
  /** Blocks already staged that are kept, in order 0..n-1. */
  kept: StagedBlock[];
  /** Where the download resumes (sum of the kept blocks' sizes). */
  offset: number;
}

/**
 * Keeps the longest run of full-size blocks 0, 1, 2, … among the uncommitted ones. A short block can only
 * be the last of a body, and a foreign or out-of-order id means the list is not ours to trust past it:
 * everything from there is downloaded again (staging the same id again simply replaces the block).
 */
export function planResume(uncommitted: readonly { name: string; size: number }[], blockBytes: number): ResumePlan {
  const byIndex = new Map<number, StagedBlock>();
  for (const block of uncommitted) {
    const parsed = parseBlockId(block.name);
    if (parsed) byIndex.set(parsed.index, { ...parsed, size: block.size });
  }
  const kept: StagedBlock[] = [];
  for (let index = 0; ; index++) {
    const block = byIndex.get(index);
    if (!block || block.size !== blockBytes) break;
    kept.push(block);
  }
  return { kept, offset: kept.length * blockBytes };
}

export type MediaKind = "wav" | "mp3" | "mp4";

export const CONTENT_TYPES: Record<MediaKind, string> = { wav: "audio/wav", mp3: "audio/mpeg", mp4: "video/mp4" };

/**
 * What the first bytes of a body say it is. ACS has been seen to answer a content URL with an HTML error
 * page and 200: anything that is not a recognisable media container is refused (and the job retried).
 */
export function sniffMedia(head: Buffer): MediaKind | undefined {
  if (head.length >= 12 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WAVE")
    return "wav";
  if (head.length >= 3 && head.toString("latin1", 0, 3) === "ID3") return "mp3";
  if (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) return "mp3";
  if (head.length >= 8 && head.toString("latin1", 4, 8) === "ftyp") return "mp4";
  return undefined;
}
