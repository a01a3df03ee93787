import { CallAutomationClient } from "@azure/communication-call-automation";
import type { Config } from "../config/index.js";
import { simulatorRoutingHttpClient } from "./local-routing.js";

/** The one place a Call Automation client is built; local mode adds the simulator routing and plain HTTP. */
export function createCallAutomationClient(config: Config): CallAutomationClient {
  if (!config.ACS_LOCAL_SIMULATOR_URL) return new CallAutomationClient(config.ACS_CONNECTION_STRING);
  return new CallAutomationClient(config.ACS_CONNECTION_STRING, {
    allowInsecureConnection: true,
    httpClient: simulatorRoutingHttpClient(config.ACS_LOCAL_SIMULATOR_URL, config.RECORDING_HOST_SUFFIXES),
  });
}

/** The ACS endpoint of a connection string (`endpoint=https://…/;accesskey=…`). */
export function acsEndpointOf(connectionString: string): string {
  return /endpoint=([^;]+)/i.exec(connectionString)?.[1] ?? "";
}

/** A recording URL is fetched only when its host is on the allowlist (SSRF guard; reference §1.8). */
export function isAllowedRecordingUrl(value: string, hostSuffixes: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" || url.username || url.password || url.port) return false;
  const host = url.hostname.toLowerCase();
  return hostSuffixes.some((suffix) => host.endsWith(suffix.toLowerCase()) && host.length > suffix.length);
}
