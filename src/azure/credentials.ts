import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient, type IHttpClient, type StorageRetryOptions } from "@azure/storage-blob";
import type { Config } from "../config/index.js";

/**
 * How the app authenticates to each Azure service (docs/identity.md): with a key (a connection string), or with
 * Microsoft Entra ID — DefaultAzureCredential (in Azure: the workload's managed identity) — when only the
 * endpoint is configured. Which one is a pure function of the configuration; the clients are built from it.
 */
export type BlobAccess = { kind: "key"; connectionString: string } | { kind: "entra"; accountUrl: string };
export type AcsAccess =
  { kind: "key"; connectionString: string; endpoint: string } | { kind: "entra"; endpoint: string };

/** The Blob access configured (loadConfig has checked that exactly one is). */
export function blobAccess(config: Pick<Config, "BLOB_CONNECTION_STRING" | "BLOB_ACCOUNT_URL">): BlobAccess {
  if (config.BLOB_CONNECTION_STRING) return { kind: "key", connectionString: config.BLOB_CONNECTION_STRING };
  if (config.BLOB_ACCOUNT_URL) return { kind: "entra", accountUrl: config.BLOB_ACCOUNT_URL };
  throw new Error("BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL is required");
}

/** The ACS access configured (loadConfig has checked that exactly one is). */
export function acsAccess(config: Pick<Config, "ACS_CONNECTION_STRING" | "ACS_ENDPOINT">): AcsAccess {
  if (config.ACS_CONNECTION_STRING)
    return {
      kind: "key",
      connectionString: config.ACS_CONNECTION_STRING,
      endpoint: /endpoint=([^;]+)/i.exec(config.ACS_CONNECTION_STRING)?.[1] ?? "",
    };
  if (config.ACS_ENDPOINT) return { kind: "entra", endpoint: config.ACS_ENDPOINT };
  throw new Error("ACS_CONNECTION_STRING or ACS_ENDPOINT is required");
}

/** What a client is built with besides its access: tests give a fake credential (and an in-process HTTP client). */
export interface AzureClientOptions {
  /** Default: one DefaultAzureCredential per process (environment, workload identity, managed identity, …). */
  credential?: TokenCredential;
}

let processCredential: TokenCredential | undefined;
/** Built on first use only: a key-only configuration never asks Entra for anything. */
export function defaultCredential(): TokenCredential {
  return (processCredential ??= new DefaultAzureCredential());
}

export function createBlobService(
  access: BlobAccess,
  options: AzureClientOptions & { retryOptions?: StorageRetryOptions; httpClient?: IHttpClient } = {},
): BlobServiceClient {
  const pipeline = {
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
    ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
  };
  return access.kind === "key"
    ? BlobServiceClient.fromConnectionString(access.connectionString, pipeline)
    : new BlobServiceClient(access.accountUrl, options.credential ?? defaultCredential(), pipeline);
}

/**
 * For the CLI, which reads the environment without the service's full configuration: BLOB_CONNECTION_STRING
 * (a key) or BLOB_ACCOUNT_URL (Microsoft Entra: `az login` on a workstation, a managed identity in Azure).
 */
export function blobServiceFromEnvironment(
  variables: Record<string, string | undefined>,
): BlobServiceClient | undefined {
  if (variables.BLOB_CONNECTION_STRING)
    return createBlobService({ kind: "key", connectionString: variables.BLOB_CONNECTION_STRING });
  if (variables.BLOB_ACCOUNT_URL) return createBlobService({ kind: "entra", accountUrl: variables.BLOB_ACCOUNT_URL });
  return undefined;
}
