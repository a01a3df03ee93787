import { createDefaultHttpClient, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";

/**
 * Local development only: the SDK accepts recording URLs only on https://*.asm.skype.com (docs/acs-payloads.md "Recording files"),
 * so this HTTP client sends those requests to the simulator instead, keeping path and query.
 * It is created only when ACS_LOCAL_SIMULATOR_URL is configured, which production configuration refuses.
 */
export function simulatorRoutingHttpClient(simulatorUrl: string, recordingHostSuffixes: readonly string[]): HttpClient {
  const inner = createDefaultHttpClient();
  const target = new URL(simulatorUrl);
  return {
    sendRequest(request: PipelineRequest) {
      const url = new URL(request.url);
      if (recordingHostSuffixes.some((suffix) => url.hostname.endsWith(suffix))) {
        url.protocol = target.protocol;
        url.host = target.host;
        request.url = url.toString();
        request.allowInsecureConnection = true;
      }
      return inner.sendRequest(request);
    },
  };
}
