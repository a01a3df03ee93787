/**
 * Reviews in the archive (Blob), the source of truth (docs/reviews.md "Storage"): each version one immutable
 * blob beside the recording's manifest, `<recording folder>/reviews/<reviewId>/v<nnnn>.json`, written once with
 * `If-None-Match: *` (a second writer of the same version gets ReviewConflict, never a replaced blob) and
 * protected like the recording (its retain-until and legal hold, through the archive's retention port).
 */
import { createHash } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { QUARANTINE_AREA, type RetentionPort } from "../archive/index.js";
import { parseReviewBlobName, reviewDocument, type ReviewDocument } from "./review.js";

/** Another version was written under this name first: the caller re-reads and decides again (HTTP 409). */
export class ReviewConflict extends Error {
  constructor(readonly blobName: string) {
    super(`${blobName} already exists: another version was submitted first`);
    this.name = "ReviewConflict";
  }
}

export interface StoredVersion {
  blob: string;
  sha256: string;
  document: ReviewDocument;
}

export interface ReviewArchive {
  /** Writes a version; ReviewConflict when the name is taken. */
  write(
    blob: string,
    document: ReviewDocument,
    protection: { until: Date | undefined; legalHold: boolean },
  ): Promise<StoredVersion>;
  /** A version as stored, with the SHA-256 of its bytes; undefined when missing; throws when it is not a review. */
  read(blob: string): Promise<StoredVersion | undefined>;
  /** Every review blob of the archive (for `recorder reviews reindex`, never per request). */
  names(): AsyncGenerator<string>;
}

const isStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "statusCode" in error && error.statusCode === status;

export function createReviewArchive(container: ContainerClient, retention: RetentionPort): ReviewArchive {
  return {
    async write(blob, document, protection) {
      const bytes = Buffer.from(JSON.stringify(document));
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const labels = {
        team: document.team,
        recordingid: document.recordingId.slice(0, 256),
        reviewid: document.reviewId,
        version: String(document.version),
      };
      try {
        await container.getBlockBlobClient(blob).upload(bytes, bytes.length, {
          blobHTTPHeaders: { blobContentType: "application/json" },
          metadata: { ...labels, sha256 },
          tags: { ...labels, sha256 },
          conditions: { ifNoneMatch: "*" },
        });
      } catch (error) {
        if (isStatus(error, 409) || isStatus(error, 412)) throw new ReviewConflict(blob);
        throw error;
      }
      if (protection.until || protection.legalHold) await retention.protect(blob, protection);
      return { blob, sha256, document };
    },
    async read(blob) {
      let bytes: Buffer;
      try {
        bytes = await container.getBlobClient(blob).downloadToBuffer();
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
      const parsed = reviewDocument.safeParse(JSON.parse(bytes.toString("utf8")));
      if (!parsed.success) throw new Error(`${blob}: not a review document (${parsed.error.issues[0]?.message})`);
      return { blob, sha256: createHash("sha256").update(bytes).digest("hex"), document: parsed.data };
    },
    async *names() {
      for await (const blob of container.listBlobsFlat())
        if (!blob.name.startsWith(`${QUARANTINE_AREA}/`) && parseReviewBlobName(blob.name)) yield blob.name;
    },
  };
}
