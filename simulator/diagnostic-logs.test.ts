import { describe, expect, it } from "vitest";
import { endpointTypeOf, identifierOf } from "./diagnostic-logs.js";

// How the call summary names participants, per Microsoft's samples (call summary log schema).
describe("call summary identities", () => {
  it.each([
    [
      "8:acs:61fddbe3-0003-4066-97bc-6aaf143bbb84_0000000b-4fee-66cf-ac00-343a0d003158",
      "acs:61fddbe3-0003-4066-97bc-6aaf143bbb84_0000000b-4fee-66cf-ac00-343a0d003158",
      "VoIP",
    ],
    ["8:orgid:1e4c59e1-0000-49bc-893d-990d0000f9f5", "1e4c59e1-0000-49bc-893d-990d0000f9f5", "VoIP"],
    ["4:+14255550123", "null", "PSTN"],
    ["28:orgid:bot", "28:orgid:bot", "Bot"],
  ])("%s → identifier %s, endpoint %s", (rawId, identifier, endpointType) => {
    expect(identifierOf(rawId)).toBe(identifier);
    expect(endpointTypeOf(rawId)).toBe(endpointType);
  });
});
