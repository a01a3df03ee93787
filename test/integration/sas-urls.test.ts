// SAS URLs the app mints are https only: Azurite (plain HTTP here, like any http endpoint) refuses one used over
// http, and serves it only when the local set-up allows http explicitly (BLOB_SAS_ALLOW_HTTP).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { createBlobService } from "../../src/azure/credentials.js";
import { createSasMinter } from "../../src/retrieval/sas.js";

let dataDir: string;
let azurite: RunningAzurite;
const service = () => createBlobService({ kind: "key", connectionString: azurite.connectionString });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "sas-urls-"));
  azurite = await startAzurite(dataDir);
  const container = service().getContainerClient("recordings");
  await container.createIfNotExists();
  await container.getBlockBlobClient("team/chunk-0.wav").upload("RIFF....", 8);
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("SAS URLs of archived blobs", () => {
  const expiresOn = () => new Date(Date.now() + 5 * 60_000);

  it("are https only by default: used over http, storage refuses them (403 AuthorizationProtocolMismatch)", async () => {
    const blobs = service();
    const url = await createSasMinter(blobs, blobs.getContainerClient("recordings"), { allowHttp: false }).readUrl(
      "team/chunk-0.wav",
      expiresOn(),
    );
    expect(url.startsWith("http://")).toBe(true); // Azurite's own endpoint
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("AuthorizationProtocolMismatch");
  });

  it("work over http only where the local set-up allows it", async () => {
    const blobs = service();
    const url = await createSasMinter(blobs, blobs.getContainerClient("recordings"), { allowHttp: true }).readUrl(
      "team/chunk-0.wav",
      expiresOn(),
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("RIFF....");
  });
});
