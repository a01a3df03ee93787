import { describe, expect, it } from "vitest";
import { HEALTHY, assessHealth, failingDependency, type HealthSignals } from "./assess.js";

const signals = (changes: Partial<HealthSignals> = {}): HealthSignals => ({
  storage: HEALTHY,
  acs: HEALTHY,
  ...changes,
});

describe("can the system record now?", () => {
  it.each<[string, Partial<HealthSignals>, boolean, string[]]>([
    ["nothing known against either", {}, true, []],
    [
      "storage probe failing",
      { storage: { ...HEALTHY, down: "probe failed: ECONNREFUSED" } },
      false,
      ["storage: probe failed: ECONNREFUSED"],
    ],
    [
      "two storage failures: under the threshold",
      { storage: { down: undefined, failures: 2, lastFailure: "503" } },
      true,
      [],
    ],
    [
      "three storage failures in a row",
      { storage: { down: undefined, failures: 3, lastFailure: "stageBlock 503" } },
      false,
      ["storage: 3 failures in a row (last: stageBlock 503)"],
    ],
    [
      "ACS failing",
      { acs: { down: undefined, failures: 5, lastFailure: "connect 500" } },
      false,
      ["acs: 5 failures in a row (last: connect 500)"],
    ],
    [
      "both",
      { storage: { ...HEALTHY, down: "probe failed" }, acs: { down: undefined, failures: 3, lastFailure: undefined } },
      false,
      ["storage: probe failed", "acs: 3 failures in a row (last: unknown)"],
    ],
  ])("%s", (_what, changes, canRecord, problems) => {
    expect(assessHealth(signals(changes), 3)).toEqual({ canRecord, problems });
  });
});

describe("which dependency an error shows failing", () => {
  const endpoints = {
    blobUrl: "http://127.0.0.1:10000/devstoreaccount1",
    acsUrl: "https://x.communication.azure.com/",
  };
  const error = (url: string, statusCode?: number) => ({ request: { url }, ...(statusCode ? { statusCode } : {}) });
  it.each<[string, unknown, string | undefined]>([
    [
      "Blob unreachable (no status)",
      error("http://127.0.0.1:10000/devstoreaccount1/recordings/a?comp=block"),
      "storage",
    ],
    ["Blob 503", error("http://127.0.0.1:10000/devstoreaccount1/recordings/a", 503), "storage"],
    ["Blob 403 (bad key)", error("http://127.0.0.1:10000/devstoreaccount1/recordings/a", 403), "storage"],
    [
      "Blob 404: about one blob, not the service",
      error("http://127.0.0.1:10000/devstoreaccount1/recordings/a", 404),
      undefined,
    ],
    ["Blob 409", error("http://127.0.0.1:10000/devstoreaccount1/recordings/a", 409), undefined],
    ["ACS 500", error("https://x.communication.azure.com/calling/callConnections:connect", 500), "acs"],
    ["ACS 429", error("https://x.communication.azure.com/calling/recordings", 429), "acs"],
    ["ACS 404 (call gone)", error("https://x.communication.azure.com/calling/callConnections:connect", 404), undefined],
    ["another host", error("https://elsewhere.example/", 500), undefined],
    ["no request (a plain error)", new Error("boom"), undefined],
    ["not an object", "boom", undefined],
  ])("%s → %s", (_what, err, component) => {
    expect(failingDependency(err, endpoints)).toBe(component);
  });
});
