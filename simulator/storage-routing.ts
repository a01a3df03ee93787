// The local wiring (docs/acs-payloads.md "Local wiring"): the SDK only downloads from https://*.asm.skype.com, so a custom
// httpClient sends those requests to the simulator instead. For tests and local tools only.
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";
import type { HttpClient, PipelineRequest } from "@azure/core-rest-pipeline";

export function asmStorageHttpClient(simulatorUrl: string): HttpClient {
  const inner = createDefaultHttpClient();
  const target = new URL(simulatorUrl);
  return {
    sendRequest(request: PipelineRequest) {
      const url = new URL(request.url);
      if (url.protocol === "https:" && url.hostname.endsWith(".asm.skype.com")) {
        request.url = `${target.origin}${url.pathname}${url.search}`;
        request.allowInsecureConnection = true;
      }
      return inner.sendRequest(request);
    },
  };
}
