import type { ContainerClient } from "@azure/storage-blob";
import { QUARANTINE_AREA } from "../archive/index.js";
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

/**
 * Every manifest in the archive: for rebuilding the index (`recorder recordings reindex`), never per request.
 * Not those of the quarantine area: a quarantined recording has no team to be listed for (docs/archive.md).
 */
export async function* manifestBlobs(container: ContainerClient): AsyncGenerator<string> {
  for await (const blob of container.listBlobsFlat())
    if (blob.name.endsWith("/manifest.json") && !blob.name.startsWith(`${QUARANTINE_AREA}/`)) yield blob.name;
}
