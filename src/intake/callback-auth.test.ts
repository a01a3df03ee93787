import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSigningKey, startLocalIssuer, type LocalIssuer } from "../../test/support/local-issuer.js";
import { createCallbackVerifier, type CallbackVerifier } from "./callback-auth.js";
import { IntakeError } from "./errors.js";

const AUDIENCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";

let issuer: LocalIssuer;
let verifier: CallbackVerifier;

beforeAll(async () => {
  issuer = await startLocalIssuer("https://acscallautomation.communication.azure.com");
  verifier = createCallbackVerifier(issuer.openIdConfigurationUrl, AUDIENCE);
});
afterAll(() => issuer.stop());

async function refused(authorization: string | undefined, message: string, by = verifier) {
  const error = await by.verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntakeError);
  expect((error as IntakeError).status).toBe(401);
  expect((error as IntakeError).message).toContain(message);
}

describe("callback JWT verification", () => {
  it("accepts a token signed by the published key for our resource", async () => {
    await expect(verifier.verify(`Bearer ${await issuer.sign({ aud: AUDIENCE })}`)).resolves.toBeUndefined();
  });

  it("refuses a missing or malformed header", async () => {
    await refused(undefined, "missing bearer token");
    await refused("Basic abc", "missing bearer token");
  });

  it("refuses a token for another resource", async () =>
    refused(`Bearer ${await issuer.sign({ aud: "other-resource" })}`, "aud"));
  it("refuses a token from another issuer", async () =>
    refused(`Bearer ${await issuer.sign({ aud: AUDIENCE, iss: "https://evil.example" })}`, "iss"));
  it("refuses an expired token", async () =>
    refused(`Bearer ${await issuer.sign({ aud: AUDIENCE, expiresIn: Math.floor(Date.now() / 1000) - 120 })}`, "exp"));

  it("refuses a forged token (same kid, another key)", async () => {
    const forger = await newSigningKey(issuer.signing.kid);
    await refused(`Bearer ${await issuer.sign({ aud: AUDIENCE }, forger)}`, "signature");
  });

  it("refuses an unsigned token", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: AUDIENCE, exp: 9999999999 })).toString(
      "base64url",
    );
    await refused(`Bearer ${header}.${payload}.`, "invalid callback token");
  });

  it("refetches the key set on an unknown kid (key rotation), at most once per cooldown", async () => {
    const rotating = createCallbackVerifier(issuer.openIdConfigurationUrl, AUDIENCE, { refreshCooldownMs: 200 });
    await expect(rotating.verify(`Bearer ${await issuer.sign({ aud: AUDIENCE })}`)).resolves.toBeUndefined();
    const afterFirstFetch = issuer.fetches();

    const rotated = await newSigningKey("key-2");
    issuer.publish([issuer.signing, rotated]);
    await new Promise((r) => setTimeout(r, 250)); // past the cooldown since the first fetch
    await expect(rotating.verify(`Bearer ${await issuer.sign({ aud: AUDIENCE }, rotated)}`)).resolves.toBeUndefined();
    expect(issuer.fetches()).toBe(afterFirstFetch + 1);

    // Tokens with made-up kids, made beforehand (RSA key generation takes longer than the cooldown):
    // a burst of them triggers at most one further fetch.
    const bogus = await Promise.all(
      ["bogus-1", "bogus-2", "bogus-3"].map(async (kid) => issuer.sign({ aud: AUDIENCE }, await newSigningKey(kid))),
    );
    await expect(rotating.verify(`Bearer ${await issuer.sign({ aud: AUDIENCE }, rotated)}`)).resolves.toBeUndefined();
    const settled = issuer.fetches();
    for (const token of bogus) await refused(`Bearer ${token}`, "invalid callback token", rotating);
    expect(issuer.fetches() - settled).toBeLessThanOrEqual(1);
  });
});
