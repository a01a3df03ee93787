import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  newSigningKey,
  startLocalIssuer,
  withKid,
  type LocalIssuer,
  type SigningKey,
} from "../../test/support/local-issuer.js";
import { createCallbackVerifier, type CallbackVerifier } from "./callback-auth.js";
import { IntakeError } from "./errors.js";

const AUDIENCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";

let issuer: LocalIssuer;
let verifier: CallbackVerifier;
/** A key pair that is not the issuer's (a forger's, or the next one after a rotation). */
let other: SigningKey;

beforeAll(async () => {
  issuer = await startLocalIssuer("https://acscallautomation.communication.azure.com");
  verifier = createCallbackVerifier(issuer.openIdConfigurationUrl, AUDIENCE);
  other = await newSigningKey("other");
});
afterAll(() => issuer.stop());

async function refused(authorization: string | undefined, message: string, by = verifier, status = 401) {
  const error = await by.verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntakeError);
  expect((error as IntakeError).status).toBe(status);
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
    const forger = withKid(other, issuer.signing.kid);
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
    let clock = 1_000_000;
    const rotating = createCallbackVerifier(issuer.openIdConfigurationUrl, AUDIENCE, {
      refreshCooldownMs: 200,
      now: () => clock,
    });
    await expect(rotating.verify(`Bearer ${await issuer.sign({ aud: AUDIENCE })}`)).resolves.toBeUndefined();
    const afterFirstFetch = issuer.fetches();

    const rotated = withKid(other, "key-2");
    issuer.publish([issuer.signing, rotated]);
    const rotatedToken = `Bearer ${await issuer.sign({ aud: AUDIENCE }, rotated)}`;
    // Within the cooldown since the first fetch: the new kid is not looked for yet.
    clock += 199;
    await refused(rotatedToken, "invalid callback token", rotating);
    expect(issuer.fetches()).toBe(afterFirstFetch);
    clock += 2; // past it
    await expect(rotating.verify(rotatedToken)).resolves.toBeUndefined();
    expect(issuer.fetches()).toBe(afterFirstFetch + 1);

    // Past the cooldown again, a burst of tokens with made-up kids triggers one further fetch, not one each.
    clock += 201;
    const bogus = await Promise.all(
      ["bogus-1", "bogus-2", "bogus-3"].map((kid) => issuer.sign({ aud: AUDIENCE }, withKid(rotated, kid))),
    );
    const settled = issuer.fetches();
    for (const token of bogus) await refused(`Bearer ${token}`, "invalid callback token", rotating);
    expect(issuer.fetches() - settled).toBe(1);
  });
});

describe("outbound requests bad callbacks can cause (negative cache)", () => {
  // A fresh issuer per case: its counters then count this case's requests only.
  let local: LocalIssuer;
  beforeEach(async () => {
    local = await startLocalIssuer("https://acscallautomation.communication.azure.com", issuer.signing);
  });
  afterEach(() => local.stop());
  const twenty = <T>(make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: 20 }, (_, i) => make(i)));

  it("20 callbacks while the OpenID configuration answers 500: one request for it, each callback 503", async () => {
    local.fail("config", 500);
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE);
    const token = await local.sign({ aud: AUDIENCE });
    for (let i = 0; i < 20; i++) await refused(`Bearer ${token}`, "cannot verify callback tokens now", fresh, 503);
    expect(local.configFetches()).toBe(1);
    expect(local.fetches()).toBe(0);
  });

  it("20 callbacks at once while the key set answers 500: one request for it", async () => {
    local.fail("keys", 500);
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE);
    const token = await local.sign({ aud: AUDIENCE });
    await twenty(() => refused(`Bearer ${token}`, "token signing keys unavailable", fresh, 503));
    for (let i = 0; i < 20; i++) await refused(`Bearer ${token}`, "token signing keys unavailable", fresh, 503);
    expect(local.configFetches()).toBe(1);
    expect(local.fetches()).toBe(1);
  });

  it("20 garbage tokens (not JWTs, another algorithm, no kid) make no request at all", async () => {
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE);
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: "key-1" })
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("a-shared-secret-of-32-characters!"));
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256" })
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(local.signing.privateKey);
    const garbage = ["abc", "a.b.c", `${hs256}`, noKid, "eyJhbGciOiJSUzI1NiJ9..", "x".repeat(4000)];
    for (let i = 0; i < 20; i++)
      await refused(`Bearer ${garbage[i % garbage.length]!}`, "invalid callback token", fresh);
    expect(local.configFetches() + local.fetches()).toBe(0);
  });

  it("20 tokens with made-up kids: at most one refetch of the key set after the first fetch", async () => {
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE, { refreshCooldownMs: 60_000 });
    const forger = withKid(other, "made-up");
    const forged = await local.sign({ aud: AUDIENCE }, forger);
    await twenty(() => refused(`Bearer ${forged}`, "invalid callback token", fresh));
    for (let i = 0; i < 20; i++) await refused(`Bearer ${forged}`, "invalid callback token", fresh);
    expect(local.configFetches()).toBe(1);
    expect(local.fetches()).toBeLessThanOrEqual(2);
  });

  it("tries again once the failure cooldown has passed, and then verifies", async () => {
    let clock = 1_000_000;
    local.fail("config", 503);
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE, {
      failureCooldownMs: 30_000,
      now: () => clock,
    });
    const token = await local.sign({ aud: AUDIENCE });
    await refused(`Bearer ${token}`, "cannot verify", fresh, 503);
    local.fail("config", undefined);
    clock += 29_000;
    await refused(`Bearer ${token}`, "cannot verify", fresh, 503);
    expect(local.configFetches()).toBe(1);
    clock += 2_000;
    await expect(fresh.verify(`Bearer ${token}`)).resolves.toBeUndefined();
    expect(local.configFetches()).toBe(2);
  });

  it("keeps the keys it has when a refresh fails, and does not retry the refresh before the cooldown", async () => {
    let clock = 1_000_000;
    const fresh = createCallbackVerifier(local.openIdConfigurationUrl, AUDIENCE, {
      maxAgeMs: 60_000,
      failureCooldownMs: 30_000,
      now: () => clock,
    });
    const token = await local.sign({ aud: AUDIENCE });
    await expect(fresh.verify(`Bearer ${token}`)).resolves.toBeUndefined();
    local.fail("keys", 500);
    clock += 61_000; // stale: refreshed, which fails; the keys held still verify
    for (let i = 0; i < 20; i++) await expect(fresh.verify(`Bearer ${token}`)).resolves.toBeUndefined();
    expect(local.fetches()).toBe(2);
  });
});
