export {
  type AzureClientOptions,
  acsAccess,
  blobAccess,
  blobServiceFromEnvironment,
  createBlobService,
  defaultCredential,
} from "./credentials.js";
