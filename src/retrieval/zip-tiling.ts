/**
 * The byte layout of an evidence bundle's zip (pure; docs/evidence.md "Bundles"). Every byte of the file is
 * either a file's content or zip structure (local headers, data descriptors, the central directory, the end
 * records). `ZipTiler` walks the bytes in order as they stream past, once: content goes to the caller (which
 * hashes each file for bundle.json), structure is hashed into one "structure hash". The writer signs that hash
 * in the zip's comment; the verifier recomputes it. So a change of any byte — content or structure — is found,
 * while every byte is hashed exactly once (the verifier runs at the speed of one SHA-256 pass).
 *
 * The layout is what yazl writes for stored (uncompressed) entries (APPNOTE.TXT 4.3): per entry a local file
 * header (30 bytes + name + extra), the content, and a data descriptor when flag bit 3 is set (16 bytes; 24 in
 * ZIP64 form when the size or the header's offset exceeds 0xfffffffe); then the central directory and end records.
 */
import type { Hash } from "node:crypto";

export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
export const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
export const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const LOCAL_HEADER_FIXED = 30;
export const END_RECORD_FIXED = 22;
const ZIP64_LIMIT = 0xfffffffe;
const DATA_DESCRIPTOR_FLAG = 1 << 3;

export class ZipLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipLayoutError";
  }
}

export interface TiledEntry {
  index: number;
  /** Offset of its local header in the file. */
  offset: number;
  name: string;
  size: number;
  /** Compression method of its local header (0: stored). */
  method: number;
}

export interface TilerCallbacks {
  /** The content size of entry `index` (named `name` in its local header), or undefined if it is unknown. */
  sizeOf(index: number, name: string): number | undefined;
  /** A piece of entry `index`'s content, in order. */
  content(index: number, piece: Buffer): void;
  /** Everything from the first byte of the central directory on. */
  trailer(piece: Buffer): void;
}

type State =
  | { kind: "boundary"; have: Buffer }
  | { kind: "header"; have: Buffer; need: number }
  | { kind: "content"; entry: TiledEntry; left: number; descriptor: number }
  | { kind: "descriptor"; entry: TiledEntry; have: Buffer; need: number }
  | { kind: "trailer" };

/** Walks the bytes of a bundle's zip; `structure` receives every structure byte before the trailer. */
export class ZipTiler {
  readonly entries: TiledEntry[] = [];
  private state: State = { kind: "boundary", have: Buffer.alloc(0) };
  private position = 0;
  /** Offset of the central directory (set once the trailer starts). */
  trailerStart: number | undefined;

  constructor(
    private readonly structure: Hash,
    private readonly callbacks: TilerCallbacks,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case "trailer":
          this.callbacks.trailer(at === 0 ? chunk : chunk.subarray(at));
          this.position += chunk.length - at;
          return;
        case "boundary": {
          const take = Math.min(4 - state.have.length, chunk.length - at);
          const have = Buffer.concat([state.have, chunk.subarray(at, at + take)]);
          at += take;
          if (have.length < 4) {
            this.state = { kind: "boundary", have };
            break;
          }
          const signature = have.readUInt32LE(0);
          if (signature === LOCAL_HEADER_SIGNATURE) {
            this.state = { kind: "header", have, need: LOCAL_HEADER_FIXED };
          } else if (signature === CENTRAL_HEADER_SIGNATURE || signature === END_OF_CENTRAL_DIRECTORY_SIGNATURE) {
            this.trailerStart = this.position;
            this.state = { kind: "trailer" };
            this.callbacks.trailer(have);
            this.position += 4;
          } else
            throw new ZipLayoutError(
              `at byte ${this.position}: neither a local file header nor the central directory (signature 0x${signature.toString(16).padStart(8, "0")})`,
            );
          break;
        }
        case "header": {
          const take = Math.min(state.need - state.have.length, chunk.length - at);
          const have = Buffer.concat([state.have, chunk.subarray(at, at + take)]);
          at += take;
          if (have.length < state.need) {
            this.state = { ...state, have };
            break;
          }
          if (state.need === LOCAL_HEADER_FIXED) {
            const variable = have.readUInt16LE(26) + have.readUInt16LE(28);
            if (variable > 0) {
              this.state = { kind: "header", have, need: LOCAL_HEADER_FIXED + variable };
              break;
            }
          }
          this.startContent(have);
          break;
        }
        case "content": {
          if (state.left === 0) {
            this.state =
              state.descriptor > 0
                ? { kind: "descriptor", entry: state.entry, have: Buffer.alloc(0), need: state.descriptor }
                : { kind: "boundary", have: Buffer.alloc(0) };
            break;
          }
          const take = Math.min(state.left, chunk.length - at);
          if (take > 0) this.callbacks.content(state.entry.index, chunk.subarray(at, at + take));
          at += take;
          this.position += take;
          state.left -= take;
          if (state.left === 0)
            this.state =
              state.descriptor > 0
                ? { kind: "descriptor", entry: state.entry, have: Buffer.alloc(0), need: state.descriptor }
                : { kind: "boundary", have: Buffer.alloc(0) };
          break;
        }
        case "descriptor": {
          const take = Math.min(state.need - state.have.length, chunk.length - at);
          const have = Buffer.concat([state.have, chunk.subarray(at, at + take)]);
          at += take;
          if (have.length < state.need) {
            this.state = { ...state, have };
            break;
          }
          this.structureBytes(have);
          if (have.readUInt32LE(0) !== DESCRIPTOR_SIGNATURE)
            throw new ZipLayoutError(`${state.entry.name}: its data descriptor is missing or damaged`);
          const size = have.length === 24 ? Number(have.readBigUInt64LE(16)) : have.readUInt32LE(12);
          if (size !== state.entry.size)
            throw new ZipLayoutError(
              `${state.entry.name}: its data descriptor gives ${size} bytes, the entry holds ${state.entry.size}`,
            );
          this.state = { kind: "boundary", have: Buffer.alloc(0) };
          break;
        }
      }
    }
  }

  /** Checks the walk ended where a zip ends: in the central directory, not in the middle of an entry. */
  finish(): void {
    if (this.state.kind !== "trailer")
      throw new ZipLayoutError(`the file ends inside ${this.entries.at(-1)?.name ?? "its first entry"}: truncated`);
  }

  private structureBytes(bytes: Buffer) {
    this.structure.update(bytes);
    this.position += bytes.length;
  }

  private startContent(header: Buffer) {
    const offset = this.position;
    this.structureBytes(header);
    const nameLength = header.readUInt16LE(26);
    const name = header.subarray(LOCAL_HEADER_FIXED, LOCAL_HEADER_FIXED + nameLength).toString("utf8");
    const flags = header.readUInt16LE(6);
    const method = header.readUInt16LE(8);
    const index = this.entries.length;
    const size = this.callbacks.sizeOf(index, name);
    if (size === undefined) throw new ZipLayoutError(`at byte ${offset}: an entry ${name} that is not listed`);
    if (method !== 0) throw new ZipLayoutError(`${name}: compressed (method ${method}); a bundle stores its files`);
    const entry = { index, offset, name, size, method };
    this.entries.push(entry);
    const descriptor = flags & DATA_DESCRIPTOR_FLAG ? (size > ZIP64_LIMIT || offset > ZIP64_LIMIT ? 24 : 16) : 0;
    this.state = { kind: "content", entry, left: size, descriptor };
  }
}

/** The zip comment that seals a bundle: its structure hash, bundle.json's hash, signed. */
export const SEAL_PREFIX = "compliance-recorder evidence bundle seal v1 ";

/**
 * The end-of-central-directory record with its comment length set (the writer's yazl writes it with none): the
 * seal then follows as the comment. Throws if `trailer` does not end with an end record without a comment.
 */
export function withComment(trailer: Buffer, comment: Buffer): Buffer {
  const at = trailer.length - END_RECORD_FIXED;
  if (at < 0 || trailer.readUInt32LE(at) !== END_OF_CENTRAL_DIRECTORY_SIGNATURE || trailer.readUInt16LE(at + 20) !== 0)
    throw new ZipLayoutError("the zip does not end with an end-of-central-directory record without a comment");
  if (comment.length > 0xffff) throw new ZipLayoutError("the seal is longer than a zip comment may be");
  const patched = Buffer.from(trailer);
  patched.writeUInt16LE(comment.length, at + 20);
  return patched;
}
