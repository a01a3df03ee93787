import type { ContainerClient } from "@azure/storage-blob";
import { readManifest } from "./archive-reader.js";
import type { RecordingIndex } from "./index-store.js";
import { summarize, type IndexedRecording } from "./summary.js";

/**
 * Indexes one archived recording from its manifest blob, with the manifest's SHA-256 as read now (later
 * verification compares against it). Idempotent. Undefined when the blob is missing or not a manifest.
 */
export async function indexManifest(
  container: ContainerClient,
  index: Pick<RecordingIndex, "put">,
  manifestBlob: string,
): Promise<IndexedRecording | undefined> {
  const read = await readManifest(container, manifestBlob);
  if (!read?.manifest) return undefined;
  const recording = summarize(read.manifest, manifestBlob, read.sha256);
  await index.put(recording);
  return recording;
}

/** Every manifest in the archive: for rebuilding the index (`recorder recordings reindex`), never per request. */
export async function* manifestBlobs(container: ContainerClient): AsyncGenerator<string> {
  for await (const blob of container.listBlobsFlat()) if (blob.name.endsWith("/manifest.json")) yield blob.name;
}
