import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCallbackVerifier, type CallbackVerifier } from "./callback-auth.js";
import { IntakeError } from "./errors.js";

const ISSUER = "https://acscallautomation.communication.azure.com";
const AUDIENCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";

let server: Server;
let base: string;
let published: JWK[] = [];
let jwksFetches = 0;
let signing: { kid: string; privateKey: CryptoKey };
let verifier: CallbackVerifier;

async function newKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

function token(claims: { iss?: string; aud?: string; expiresIn?: string | number } = {}, key = signing) {
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "5m")
    .sign(key.privateKey);
}

beforeAll(async () => {
  const first = await newKey("key-1");
  signing = first;
  published = [first.jwk];
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/calling/.well-known/acsopenidconfiguration") {
      res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/calling/keys` }));
    } else if (req.url === "/calling/keys") {
      jwksFetches += 1;
      res.end(JSON.stringify({ keys: published }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  verifier = createCallbackVerifier(`${base}/calling/.well-known/acsopenidconfiguration`, AUDIENCE);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function refused(authorization: string | undefined, message: string) {
  const error = await verifier.verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntakeError);
  expect((error as IntakeError).status).toBe(401);
  expect((error as IntakeError).message).toContain(message);
}

describe("callback JWT verification", () => {
  it("accepts a token signed by the published key for our resource", async () => {
    await expect(verifier.verify(`Bearer ${await token()}`)).resolves.toBeUndefined();
  });

  it("refuses a missing or malformed header", async () => {
    await refused(undefined, "missing bearer token");
    await refused("Basic abc", "missing bearer token");
  });

  it("refuses a token for another resource", async () =>
    refused(`Bearer ${await token({ aud: "other-resource" })}`, "aud"));
  it("refuses a token from another issuer", async () =>
    refused(`Bearer ${await token({ iss: "https://evil.example" })}`, "iss"));
  it("refuses an expired token", async () =>
    refused(`Bearer ${await token({ expiresIn: Math.floor(Date.now() / 1000) - 120 })}`, "exp"));

  it("refuses a forged token (same kid, another key)", async () => {
    const forger = await newKey("key-1");
    await refused(`Bearer ${await token({}, forger)}`, "signature");
  });

  it("refuses an unsigned token", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: 9999999999 })).toString("base64url");
    await refused(`Bearer ${header}.${payload}.`, "invalid callback token");
  });

  it("refetches the key set once on an unknown kid (key rotation), not on every unknown kid", async () => {
    const rotating = createCallbackVerifier(`${base}/calling/.well-known/acsopenidconfiguration`, AUDIENCE, {
      refreshCooldownMs: 200,
    });
    await expect(rotating.verify(`Bearer ${await token()}`)).resolves.toBeUndefined();
    const afterFirstFetch = jwksFetches;

    const rotated = await newKey("key-2");
    published = [...published, rotated.jwk];
    await new Promise((r) => setTimeout(r, 250)); // past the cooldown since the first fetch
    await expect(rotating.verify(`Bearer ${await token({}, rotated)}`)).resolves.toBeUndefined();
    expect(jwksFetches).toBe(afterFirstFetch + 1);

    // Within the cooldown, tokens with made-up kids do not trigger further fetches (tokens made beforehand:
    // generating RSA keys takes longer than the cooldown).
    const bogusTokens = await Promise.all(
      ["bogus-1", "bogus-2", "bogus-3"].map(async (kid) => token({}, await newKey(kid))),
    );
    await expect(rotating.verify(`Bearer ${await token({}, rotated)}`)).resolves.toBeUndefined();
    const settled = jwksFetches;
    for (const bogus of bogusTokens) await rotating.verify(`Bearer ${bogus}`).catch(() => undefined);
    expect(jwksFetches - settled).toBeLessThanOrEqual(1);
  });
});
