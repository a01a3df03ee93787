import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as documented from "../fixtures/documented-events.js";
import { ALICE, BOB, eventually, placeRecordedCall, startStack, type Stack } from "../support/stack.js";

/** Every outbound HTTP request this process makes (node:http and fetch), by host and path. */
const outbound: string[] = [];
const onHttp = (message: unknown) => {
  const request = (message as { request: ClientRequest }).request;
  outbound.push(`${request.host}${request.path}`);
};
const onFetch = (message: unknown) => {
  const request = (message as { request: { origin: string; path: string } }).request;
  outbound.push(`${new URL(request.origin).host}${request.path}`);
};

let stack: Stack;
beforeAll(async () => {
  subscribe("http.client.request.start", onHttp);
  subscribe("undici:request:create", onFetch);
  stack = await startStack();
});
afterAll(async () => {
  unsubscribe("http.client.request.start", onHttp);
  unsubscribe("undici:request:create", onFetch);
  await stack?.stop();
});

function recordingEventPointingAt(url: string, id: string) {
  const data = documented.recordingFileStatusUpdated.data;
  const chunk = { ...data.recordingStorageInfo.recordingChunks[0]!, contentLocation: url, metadataLocation: url };
  return [
    {
      ...documented.recordingFileStatusUpdated,
      id,
      subject: "/recording/call/ssrf-call/recordingId/ssrf-recording",
      data: { ...data, recordingStorageInfo: { recordingChunks: [chunk] } },
    },
  ];
}

describe("recording URLs off the allowlist", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254"],
    ["https://evil.example/v1/objects/x/content/audio", "evil.example"],
  ])("%s is refused at intake and never requested", async (url, host) => {
    const response = await fetch(stack.eventGridUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(recordingEventPointingAt(url, `ssrf-${host}`)),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("host not allowed");

    // Positive control: a real recorded call in the same window, so the observer demonstrably sees the
    // worker's downloads; then not one request went to the refused host.
    const { serverCallId } = await placeRecordedCall(stack.simulator, { from: ALICE, to: BOB });
    await eventually(
      () => (stack.simulator.requests().some((r) => r.operation === "download" && r.status < 300) ? true : undefined),
      20_000,
      "the control call's download",
    );
    expect(outbound.some((entry) => entry.includes("/v1/objects/"))).toBe(true);
    expect(outbound.filter((entry) => entry.includes(host))).toEqual([]);
    const session = await stack.runtime.sessions.get("ssrf-call");
    expect(session.factsVersion).toBe(0); // nothing about the refused event was stored
    expect(serverCallId).toBeTruthy();
  });
});
