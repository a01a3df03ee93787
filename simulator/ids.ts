// Identifiers shaped like the real service's (docs/acs-payloads.md "serverCallId" and "Recorded live sessions"), so parsers meet realistic values.
import { randomBytes, randomUUID } from "node:crypto";

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/**
 * ACS serverCallIds are standard base64 of a conversation URL, padded: Microsoft's samples show ids ending in
 * '=' (e.g. the ParticipantsUpdated example of "Mute participants during a call"), and the standard alphabet
 * turns a '?' at a byte offset ≡ 2 (mod 3) into '/'. Every id made here holds '/', '+' and '=' at once, so that
 * anything that puts a serverCallId into a path, key, name or query meets all three in every test: the URL's
 * layout is shifted until '?' gives a '/', the padding an '=', and a '~' in a parameter (a '+'; real URLs
 * rarely have one) lands on such an offset too. The URL stays one a parser of real ids would accept.
 */
export function newServerCallId(): string {
  const conv = randomBytes(16).toString("base64url");
  const e = Date.now() * 10_000 + 621_355_968_000_000_000;
  for (let host = 0; host < 3; host++) {
    for (let index = 0; index < 3; index++) {
      for (let tail = 0; tail < 3; tail++) {
        const url =
          `https://api.flightproxy.skype.com/api/v2/cp/conv-sim-${"0".repeat(host)}1.conv.skype.com/conv/${conv}` +
          `?i=${"1".repeat(index + 1)}&e=${e}&x=~${"a".repeat(tail)}`;
        const id = Buffer.from(url).toString("base64");
        if (hasEveryBase64Special(id)) return id;
      }
    }
  }
  throw new Error("no serverCallId layout gives '/', '+' and '='"); // unreachable: 27 layouts cover every offset
}

/** Whether a base64 string holds all three characters that need care in paths, keys and query strings. */
export function hasEveryBase64Special(id: string): boolean {
  return id.includes("/") && id.includes("+") && id.endsWith("=");
}

/**
 * recordingId = base64url JSON {"PlatformEndpointId","ResourceSpecificId"} without padding (the recorded live
 * sessions' ids are unpadded). PlatformEndpointId is the recorder's leg: its RecordingStateChanged callConnectionId.
 */
export function newRecordingId(platformEndpointId: string = randomUUID()): string {
  return base64url(JSON.stringify({ PlatformEndpointId: platformEndpointId, ResourceSpecificId: randomUUID() }));
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
