import { CallAutomationClient } from "@azure/communication-call-automation";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { acsAccess, defaultCredential, type AzureClientOptions } from "../azure/index.js";
import type { Config } from "../config/index.js";
import { simulatorRoutingHttpClient } from "./local-routing.js";

/**
 * The one place a Call Automation client is built: with the access key of ACS_CONNECTION_STRING, or with a
 * Microsoft Entra token credential for ACS_ENDPOINT (docs/identity.md); local mode adds the simulator routing
 * and plain HTTP (key only: loadConfig refuses the simulator with ACS_ENDPOINT).
 */
export function createCallAutomationClient(
  config: Config,
  options: AzureClientOptions & { httpClient?: HttpClient } = {},
): CallAutomationClient {
  const access = acsAccess(config);
  const http = options.httpClient ? { httpClient: options.httpClient } : {};
  if (access.kind === "entra")
    return new CallAutomationClient(access.endpoint, options.credential ?? defaultCredential(), http);
  if (!config.ACS_LOCAL_SIMULATOR_URL) return new CallAutomationClient(access.connectionString, http);
  return new CallAutomationClient(access.connectionString, {
    allowInsecureConnection: true,
    httpClient: simulatorRoutingHttpClient(config.ACS_LOCAL_SIMULATOR_URL, config.RECORDING_HOST_SUFFIXES),
  });
}

/** A recording URL is fetched only when its host is on the allowlist (SSRF guard; docs/acs-payloads.md "Recording files"). */
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
