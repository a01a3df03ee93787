// Identifiers shaped like the real service's (reference §1.6, §6, §7), so parsers meet realistic values.
import { randomBytes, randomUUID } from "node:crypto";

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/** ACS serverCallIds are base64 of a conversation URL; base64url without padding keeps them path-safe. */
export function newServerCallId(): string {
  const conv = randomBytes(16).toString("base64url");
  const e = Date.now() * 10_000 + 621_355_968_000_000_000;
  return base64url(`https://api.flightproxy.skype.com/api/v2/cp/x-conv-sim-01.conv.skype.com/conv/${conv}?i=1&e=${e}`);
}

/** recordingId = base64url JSON {"PlatformEndpointId","ResourceSpecificId"} without padding. */
export function newRecordingId(): string {
  return base64url(JSON.stringify({ PlatformEndpointId: randomUUID(), ResourceSpecificId: randomUUID() }));
}

/** documentIds look like "0-eus-d12-801b3f3fc462fe8a01e6810cbff729b8". */
export function newDocumentId(): string {
  return `0-sim-d1-${randomBytes(16).toString("hex")}`;
}

/**
 * incomingCallContext is opaque to apps; real ones are unsigned JWTs with `cc` and `shrToken` claims.
 * The simulator keeps its own map from context to call, so nothing here needs to be parseable.
 */
export function newIncomingCallContext(): string {
  const header = base64url(JSON.stringify({ alg: "none", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({ cc: randomBytes(48).toString("base64"), shrToken: randomBytes(24).toString("base64url") }),
  );
  return `${header}.${payload}.`;
}

export { randomUUID as newUuid };
