// Shared test setup: a simulator with short timings, and an SDK client wired to it.
import { randomUUID } from "node:crypto";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { startSimulator } from "../server.js";
import { asmStorageHttpClient } from "../storage-routing.js";
import type { RunningSimulator, SimulatorOptions } from "../types.js";

export const ACCESS_KEY = Buffer.from("simulator-test-access-key-0123456789").toString("base64");
export const WRONG_KEY = Buffer.from("not-the-right-key").toString("base64");
export const RESOURCE_ID = "6e1f3c1a-8d6b-4b8e-9f3c-2a5e7d9b0c11";
export const CALLER = `8:acs:${RESOURCE_ID}_0000001a-aaaa-bbbb-cccc-000000000001`;
export const CALLEE = `8:acs:${RESOURCE_ID}_0000001a-aaaa-bbbb-cccc-000000000002`;
export const PSTN = "4:+14255550123";

export const FAST = {
  ringMs: 30,
  connectMs: 10,
  recordingActivationMs: 30,
  fileStatusDelayMs: 30,
  deliveryRetryMs: [50, 100, 150],
};

export function startTestSimulator(extra: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  return startSimulator({
    accessKey: ACCESS_KEY,
    resourceId: RESOURCE_ID,
    ...extra,
    timings: { ...FAST, ...extra.timings },
  });
}

export function sdkClient(sim: RunningSimulator, accessKey = ACCESS_KEY): CallAutomationClient {
  return new CallAutomationClient(`endpoint=${sim.url}/;accesskey=${accessKey}`, {
    allowInsecureConnection: true,
    httpClient: asmStorageHttpClient(sim.url),
    // Keep SDK retries from stretching failing tests.
    retryOptions: { maxRetries: 0 },
  });
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const uniqueUser = () => `8:acs:${RESOURCE_ID}_${randomUUID()}`;
