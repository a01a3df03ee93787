// Bring your own storage (docs/byos.md): ACS writes each chunk and its metadata document into the customer's Blob
// container with its managed identity, in Microsoft's documented folder structure, and says so in the
// RecordingFileStatusUpdated. Here the "managed identity" is an account key of the local emulator and the "role
// assignment" a list of containers it may write to; a write it may not make fails, as ACS's export would.
import { randomUUID } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import { streamBody, type Body } from "./body.js";

export interface CustomerStorageOptions {
  /** The connection string of the account ACS's identity may write to (Azurite locally). */
  connectionString: string;
  /**
   * Containers (URLs) that identity holds "Storage Blob Data Contributor" on. Absent: every container of the
   * account. A container missing from the list is refused (403), as an unassigned role would be.
   */
  grantedContainers?: string[];
}

/** How one call's export into customer storage goes (PlaceCallRequest.customerStorageWrite). */
export type CustomerStorageWrite = "ok" | "fail" | "duplicate";

export interface ChunkToWrite {
  index: number;
  documentId: string;
  /** The content URL's last segment, e.g. `audiowav`, `audiomp3`: the name part the page shows as `audiomp3`. */
  contentKind: string;
  extension: string;
  content: Body;
  metadata: Buffer;
}

/**
 * The documented blob names ("Call recording: Bring your own Azure storage quickstart", "Folder Structure for Call
 * Recording"): `/YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-acsmetadata.documentId.json`
 * and `…/[chunk-id]-audiomp3.documentId.mp3`. Which date (UTC recording start here) and the name of non-mp3
 * content are not documented: docs/byos.md.
 */
export function customerBlobNames(input: {
  prefix: string;
  recordingStartTime: Date;
  callId: string;
  recordingId: string;
  folderGuid: string;
  chunk: Pick<ChunkToWrite, "index" | "documentId" | "contentKind" | "extension">;
}) {
  const day = input.recordingStartTime.toISOString().slice(0, 10).replaceAll("-", "");
  const folder = `${input.prefix}${day}/${input.callId}/${input.recordingId.slice(0, 8)}-${input.folderGuid}`;
  const { index, documentId, contentKind, extension } = input.chunk;
  return {
    content: `${folder}/${index}-${contentKind}.${documentId}.${extension}`,
    metadata: `${folder}/${index}-acsmetadata.${documentId}.json`,
  };
}

/** Where a container URL points: its account URL, container and the path below it (a "location within a container"). */
export function parseContainerUrl(text: string): { account: string; container: string; prefix: string } {
  const url = new URL(text);
  const segments = url.pathname.split("/").filter(Boolean);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  const accountSegments = loopback ? 1 : 0; // path-style emulator URLs: /<account>/<container>
  const container = segments[accountSegments] ?? "";
  const rest = segments.slice(accountSegments + 1).join("/");
  const account = `${url.origin}/${segments.slice(0, accountSegments).join("/")}`.replace(/\/$/, "");
  return { account, container, prefix: rest ? `${rest}/` : "" };
}

export class CustomerStorageWriter {
  private readonly service: BlobServiceClient;
  private readonly granted: Set<string> | undefined;

  constructor(options: CustomerStorageOptions) {
    this.service = BlobServiceClient.fromConnectionString(options.connectionString);
    this.granted = options.grantedContainers
      ? new Set(options.grantedContainers.map((u) => u.replace(/\/+$/, "").toLowerCase()))
      : undefined;
  }

  /**
   * Writes every chunk, or fails with the reason (refused: not this identity's account, no role on the container,
   * no such container). `duplicate` writes the recording twice, under two folders, as the BYOS overview's known
   * issue says ACS sometimes does.
   */
  async write(input: {
    containerUrl: string;
    recordingStartTime: Date;
    callId: string;
    recordingId: string;
    chunks: ChunkToWrite[];
    mode: CustomerStorageWrite;
  }): Promise<{ ok: true; blobs: string[] } | { ok: false; reason: string }> {
    if (input.mode === "fail") return { ok: false, reason: "export failure injected" };
    const target = parseContainerUrl(input.containerUrl);
    const ours = parseContainerUrl(this.service.getContainerClient(target.container || "x").url);
    if (ours.account !== target.account) return { ok: false, reason: `no identity for ${target.account}` };
    const key = `${target.account}/${target.container}`.toLowerCase();
    if (
      this.granted &&
      !this.granted.has(key) &&
      !this.granted.has(input.containerUrl.replace(/\/+$/, "").toLowerCase())
    )
      return { ok: false, reason: `403 AuthorizationPermissionMismatch: no role on ${target.container}` };
    const container = this.service.getContainerClient(target.container);
    if (!(await container.exists())) return { ok: false, reason: `404 ContainerNotFound: ${target.container}` };
    const blobs: string[] = [];
    const copies = input.mode === "duplicate" ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const folderGuid = randomUUID();
      for (const chunk of input.chunks) {
        const names = customerBlobNames({ ...input, prefix: target.prefix, folderGuid, chunk });
        // Streamed from the body (computed from the offset): a long recording is never whole in memory.
        await container
          .getBlockBlobClient(names.content)
          .uploadStream(streamBody(chunk.content, 0, chunk.content.size), 4 * 1024 * 1024, 2);
        await container
          .getBlockBlobClient(names.metadata)
          .uploadData(chunk.metadata, { blobHTTPHeaders: { blobContentType: "application/json" } });
        blobs.push(names.content, names.metadata);
      }
    }
    return { ok: true, blobs };
  }
}
