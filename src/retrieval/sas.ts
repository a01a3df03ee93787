import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlobServiceClient,
  type ContainerClient,
  type UserDelegationKey,
} from "@azure/storage-blob";
import { blobAt, isInPlace } from "../archive/index.js";

/** Read-only SAS URLs of archived blobs (the play route's `sasUrl`, docs/recordings-api.md). */
export interface SasMinter {
  readUrl(blobName: string, expiresOn: Date): Promise<string>;
}

export interface SasOptions {
  /** Local only (Azurite over plain HTTP): the SAS may also be used over http. Otherwise it is https only. */
  allowHttp: boolean;
  now?: () => Date;
}

/** A user delegation key is asked for this long, and renewed once less than a SAS's longest life remains. */
const KEY_LIFETIME_MS = 6 * 3_600_000;
const LONGEST_SAS_MS = 3_600_000;
/** Storage allows a little clock skew: the key starts a few minutes back. */
const SKEW_MS = 5 * 60_000;

/**
 * SAS URLs signed the way the client can sign: with the account key (a service SAS), or — with a Microsoft Entra
 * token credential, which has no key — with a user delegation key (a user delegation SAS; its holder needs the
 * Storage Blob Delegator role, and the SAS grants no more than the holder's own roles: docs/identity.md). Either
 * way `spr=https` unless `allowHttp` (Azurite); "Create a user delegation SAS", learn.microsoft.com/rest/api/
 * storageservices/create-user-delegation-sas.
 */
export function createSasMinter(
  service: BlobServiceClient,
  container: ContainerClient,
  options: SasOptions,
): SasMinter {
  const now = options.now ?? (() => new Date());
  const protocol = options.allowHttp ? SASProtocol.HttpsAndHttp : SASProtocol.Https;
  const permissions = BlobSASPermissions.parse("r");
  if (container.credential instanceof StorageSharedKeyCredential)
    return {
      // A name, or the URL of a chunk sealed in a customer container of the same account (docs/byos.md).
      readUrl: (blobName, expiresOn) =>
        blobAt(container, blobName).generateSasUrl({ permissions, expiresOn, protocol }),
    };
  if (!("getToken" in container.credential))
    throw new Error("PLAYBACK_SAS needs an account key (BLOB_CONNECTION_STRING) or Microsoft Entra (BLOB_ACCOUNT_URL)");

  let key: Promise<UserDelegationKey> | undefined;
  let keyExpiresAt = 0;
  const delegationKey = (expiresOn: Date) => {
    if (!key || keyExpiresAt - Math.max(expiresOn.getTime(), now().getTime() + LONGEST_SAS_MS) < 0) {
      const startsOn = new Date(now().getTime() - SKEW_MS);
      const until = new Date(Math.max(now().getTime() + KEY_LIFETIME_MS, expiresOn.getTime()));
      keyExpiresAt = until.getTime();
      key = service.getUserDelegationKey(startsOn, until).catch((error: unknown) => {
        key = undefined;
        throw error;
      });
    }
    return key;
  };
  return {
    async readUrl(blobName, expiresOn) {
      // A blob sealed in place in another account would need that account's delegation key: not supported (docs/byos.md).
      const blob = blobAt(container, blobName);
      if (isInPlace(blobName) && new URL(blob.url).host !== new URL(container.url).host)
        throw new Error(`${blobName}: a SAS for another storage account is not supported`);
      const sas = generateBlobSASQueryParameters(
        { containerName: blob.containerName, blobName: blob.name, permissions, expiresOn, protocol },
        await delegationKey(expiresOn),
        service.accountName,
      );
      return `${blob.url}?${sas.toString()}`;
    },
  };
}
