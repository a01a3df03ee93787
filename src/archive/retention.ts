/**
 * The retention port: version-level immutability (retain-until) and legal hold on archived blobs.
 *
 * - `azureRetention`: real Azure Blob (needs version-level immutability enabled on the container/account,
 *   which requires blob versioning). NOT tested here: Azurite answers 501 to both calls (toolchain-notes.md).
 * - `FakeRetention`: an in-memory model with Azure's semantics (compliance-landscape.md §7), used by tests:
 *   while a retain-until is in the future or a legal hold is set, delete and overwrite fail with 409
 *   `BlobImmutableDueToPolicy` / `BlobImmutableDueToLegalHold`; a retain-until can only be extended; after it
 *   passes (and with no hold) a delete is allowed, an overwrite still is not (version-level WORM).
 */
import type { ContainerClient } from "@azure/storage-blob";

export interface Protection {
  /** Retain-until; undefined = no time-based retention from this policy. */
  until: Date | undefined;
  legalHold: boolean;
}

export interface RetentionPort {
  readonly kind: "azure" | "fake" | "off";
  protect(blobName: string, protection: Protection): Promise<void>;
}

export class ImmutableBlobError extends Error {
  readonly statusCode = 409;
  constructor(
    readonly code: "BlobImmutableDueToPolicy" | "BlobImmutableDueToLegalHold",
    blobName: string,
  ) {
    super(`${code}: ${blobName} is protected`);
    this.name = "ImmutableBlobError";
  }
}

/** Real Azure: the policy mode is "Unlocked" here; locking (SEC 17a-4) is an account/container decision. */
export function azureRetention(container: ContainerClient): RetentionPort {
  return {
    kind: "azure",
    async protect(blobName, { until, legalHold }) {
      const blob = container.getBlobClient(blobName);
      if (until) await blob.setImmutabilityPolicy({ expiriesOn: until, policyMode: "Unlocked" });
      if (legalHold) await blob.setLegalHold(true);
    },
  };
}

/** No protection (local development against Azurite). Never the production default. */
export const noRetention: RetentionPort = { kind: "off", protect: async () => undefined };

export class FakeRetention implements RetentionPort {
  readonly kind = "fake";
  private readonly state = new Map<string, Protection>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async protect(blobName: string, { until, legalHold }: Protection): Promise<void> {
    const current = this.state.get(blobName);
    // A retain-until can be extended, never shortened (a locked policy; an unlocked one could, but we never do).
    const keep = current?.until && (!until || current.until > until) ? current.until : until;
    this.state.set(blobName, { until: keep, legalHold: legalHold || (current?.legalHold ?? false) });
  }

  protection(blobName: string): Protection | undefined {
    return this.state.get(blobName);
  }

  clearLegalHold(blobName: string): void {
    const current = this.state.get(blobName);
    if (current) this.state.set(blobName, { ...current, legalHold: false });
  }

  /** Throws 409 as Azure would if the blob may not be deleted now. */
  assertDeletable(blobName: string): void {
    const p = this.state.get(blobName);
    if (p?.legalHold) throw new ImmutableBlobError("BlobImmutableDueToLegalHold", blobName);
    if (p?.until && p.until > this.now()) throw new ImmutableBlobError("BlobImmutableDueToPolicy", blobName);
  }

  /** Throws 409 if the blob may not be overwritten: ever, once it had a retention policy or hold. */
  assertWritable(blobName: string): void {
    const p = this.state.get(blobName);
    if (p?.legalHold) throw new ImmutableBlobError("BlobImmutableDueToLegalHold", blobName);
    if (p?.until) throw new ImmutableBlobError("BlobImmutableDueToPolicy", blobName);
  }

  /** Deletes through the fake's rules, then from the container. */
  async delete(container: ContainerClient, blobName: string): Promise<void> {
    this.assertDeletable(blobName);
    await container.getBlobClient(blobName).delete();
    this.state.delete(blobName);
  }

  /** Overwrites through the fake's rules (for tests of "never silently replaced"). */
  async overwrite(container: ContainerClient, blobName: string, bytes: Buffer): Promise<void> {
    this.assertWritable(blobName);
    await container.getBlockBlobClient(blobName).upload(bytes, bytes.length);
  }
}
