import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { ZipFile } from "yazl";
import { describe, expect, it } from "vitest";
import { withComment, ZipLayoutError, ZipTiler } from "./zip-tiling.js";

const FILES: [string, Buffer, "buffer" | "stream"][] = [
  ["a.json", Buffer.from('{"a":1}'), "buffer"],
  ["dir/chunk.wav", Buffer.alloc(20_000, 7), "stream"],
  ["empty.txt", Buffer.alloc(0), "buffer"],
  ["dir/b.bin", Buffer.from("bytes of b"), "stream"],
];

async function zipOf(files = FILES, compress = false): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, bytes, how] of files)
    if (how === "buffer") zip.addBuffer(bytes, name, { compress, mtime: new Date(0) });
    else zip.addReadStream(Readable.from([bytes]), name, { compress, size: bytes.length, mtime: new Date(0) });
  zip.end();
  const parts: Buffer[] = [];
  for await (const part of zip.outputStream as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

function tile(zip: Buffer, pieceBytes: number, files = FILES) {
  const structure = createHash("sha256");
  const contents = new Map<number, Buffer[]>();
  const trailer: Buffer[] = [];
  const tiler = new ZipTiler(structure, {
    sizeOf: (_index, name) => files.find(([n]) => n === name)?.[1].length,
    content: (index, piece) => {
      if (!contents.has(index)) contents.set(index, []);
      contents.get(index)!.push(Buffer.from(piece));
    },
    trailer: (piece) => trailer.push(Buffer.from(piece)),
  });
  for (let at = 0; at < zip.length; at += pieceBytes) tiler.push(zip.subarray(at, at + pieceBytes));
  tiler.finish();
  return {
    entries: tiler.entries.map((e) => ({ name: e.name, size: e.size, offset: e.offset })),
    contents: tiler.entries.map((e) => Buffer.concat(contents.get(e.index) ?? [])),
    structure: structure.digest("hex"),
    trailer: Buffer.concat(trailer),
    trailerStart: tiler.trailerStart,
  };
}

describe("ZipTiler", () => {
  it("splits yazl's zip into each file's content and the structure, however the bytes arrive", async () => {
    const zip = await zipOf();
    const whole = tile(zip, zip.length);
    expect(whole.entries.map((e) => [e.name, e.size])).toEqual(FILES.map(([n, b]) => [n, b.length]));
    expect(whole.contents).toEqual(FILES.map(([, b]) => b));
    expect(whole.entries[0]!.offset).toBe(0);
    // Content bytes plus structure bytes are the whole file, each counted once.
    expect(whole.trailer.length + whole.trailerStart!).toBe(zip.length);
    for (const pieceBytes of [1, 3, 7, 30, 4096])
      expect(tile(zip, pieceBytes), `${pieceBytes}-byte pieces`).toEqual(whole);
  });

  it("changes the structure hash for a change in a header, not in content", async () => {
    const zip = await zipOf();
    const base = tile(zip, 512);
    const header = Buffer.from(zip);
    header[10] = header[10]! ^ 1; // first local header's modification time
    expect(tile(header, 512).structure).not.toBe(base.structure);
    const content = Buffer.from(zip);
    content[30 + "a.json".length] = "b".charCodeAt(0);
    const changed = tile(content, 512);
    expect(changed.structure).toBe(base.structure);
    expect(changed.contents[0]!.toString()).toBe('b"a":1}');
  });

  it.each([
    ["truncated inside an entry", (zip: Buffer) => zip.subarray(0, 5000), /truncated/],
    [
      "a damaged local header signature",
      (zip: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0]), zip]),
      /neither a local file header/,
    ],
  ])("fails on %s", async (_what, damage, message) => {
    const zip = await zipOf();
    expect(() => tile(damage(zip), 1000)).toThrow(message);
  });

  it("refuses an entry it was not told the size of, and a compressed one", async () => {
    const zip = await zipOf();
    expect(() => tile(zip, 1000, FILES.slice(1))).toThrow(
      new ZipLayoutError("at byte 0: an entry a.json that is not listed"),
    );
    const deflated = await zipOf([["x.txt", Buffer.alloc(1000, 1), "buffer"]], true);
    expect(() => tile(deflated, 1000, [["x.txt", Buffer.alloc(1000, 1), "buffer"]])).toThrow(/compressed \(method 8\)/);
  });
});

describe("withComment", () => {
  it("sets the end record's comment length, and refuses a trailer that is not an end record without comment", async () => {
    const zip = await zipOf();
    const patched = withComment(zip, Buffer.from("seal"));
    expect(patched.readUInt16LE(patched.length - 2)).toBe(4);
    expect(patched.subarray(0, -2)).toEqual(zip.subarray(0, -2));
    expect(() => withComment(zip.subarray(0, -1), Buffer.from("x"))).toThrow(ZipLayoutError);
    expect(() => withComment(patched, Buffer.from("x"))).toThrow(ZipLayoutError);
  });
});
