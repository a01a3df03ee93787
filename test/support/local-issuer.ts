import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A new RSA key pair (a few hundred milliseconds of CPU each: tests make few and reuse them, see `withKid`). */
export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** The same key pair under another key id: to a verifier, a key it has never seen (rotation, made-up kids). */
export function withKid(key: SigningKey, kid: string): SigningKey {
  return { kid, privateKey: key.privateKey, jwk: { ...key.jwk, kid } };
}

/**
 * A local token issuer: an OpenID configuration and a JWKS served over HTTP, and RS256 tokens signed with
 * its key (`key`, or a new one) — so JWT verification is tested against real key discovery, not a stub.
 */
export async function startLocalIssuer(issuer: string, key?: SigningKey) {
  let published: JWK[] = [];
  let jwksFetches = 0;
  let configFetches = 0;
  /** Statuses the endpoints answer with instead of their document (an outage). */
  const failing: { config?: number; keys?: number } = {};
  const signing = key ?? (await newSigningKey("key-1"));
  published = [signing.jwk];
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      configFetches += 1;
      if (failing.config) res.statusCode = failing.config;
      res.end(failing.config ? "{}" : JSON.stringify({ issuer, jwks_uri: `${url}/keys` }));
    } else if (req.url === "/keys") {
      jwksFetches += 1;
      if (failing.keys) res.statusCode = failing.keys;
      res.end(failing.keys ? "{}" : JSON.stringify({ keys: published }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  return {
    url,
    issuer,
    openIdConfigurationUrl: `${url}/.well-known/openid-configuration`,
    jwksUrl: `${url}/keys`,
    signing,
    /** Requests for the key set. */
    fetches: () => jwksFetches,
    /** Requests for the OpenID configuration. */
    configFetches: () => configFetches,
    /** Makes an endpoint answer `status` (undefined: serve again). */
    fail(endpoint: "config" | "keys", status: number | undefined) {
      failing[endpoint] = status;
    },
    publish(keys: SigningKey[]) {
      published = keys.map((key) => key.jwk);
    },
    sign(
      claims: { iss?: string; aud: string; expiresIn?: string | number; extra?: Record<string, unknown> },
      key: SigningKey = signing,
    ): Promise<string> {
      return new SignJWT(claims.extra ?? {})
        .setProtectedHeader({ alg: "RS256", kid: key.kid })
        .setIssuer(claims.iss ?? issuer)
        .setAudience(claims.aud)
        .setIssuedAt()
        .setExpirationTime(claims.expiresIn ?? "5m")
        .sign(key.privateKey);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type LocalIssuer = Awaited<ReturnType<typeof startLocalIssuer>>;
