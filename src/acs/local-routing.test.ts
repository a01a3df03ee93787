import { createPipelineRequest, type HttpClient } from "@azure/core-rest-pipeline";
import { createServer, type IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isAllowedRecordingUrl } from "./client.js";
import { simulatorRoutingHttpClient } from "./local-routing.js";

describe("simulatorRoutingHttpClient", () => {
  it("sends *.asm.skype.com requests to the simulator, keeping path and query", async () => {
    const seen: IncomingMessage[] = [];
    const server = createServer((req, res) => {
      seen.push(req);
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const client: HttpClient = simulatorRoutingHttpClient(`http://127.0.0.1:${port}`, [".asm.skype.com"]);
    try {
      const response = await client.sendRequest(
        createPipelineRequest({ url: "https://us-storage.asm.skype.com/v1/objects/abc/content/audiowav?x=1" }),
      );
      expect(response.status).toBe(200);
      expect(seen[0]?.url).toBe("/v1/objects/abc/content/audiowav?x=1");
    } finally {
      server.close();
    }
  });
});

describe("isAllowedRecordingUrl", () => {
  it.each([
    ["https://us-storage.asm.skype.com/v1/objects/x/content/audio", true],
    ["https://US-STORAGE.ASM.SKYPE.COM/v1/objects/x", true],
    ["https://asm.skype.com/v1/objects/x", false],
    ["https://.asm.skype.com/v1/objects/x", false],
    ["https://user:pw@us.asm.skype.com/x", false],
    ["https://us.asm.skype.com.evil.example/x", false],
    ["http://169.254.169.254/", false],
  ])("%s → %s", (url, allowed) => {
    expect(isAllowedRecordingUrl(url, [".asm.skype.com"])).toBe(allowed);
  });
});
