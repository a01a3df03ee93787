// The simulator's own signing key for callback JWTs (reference §3.4), published as a JWKS like ACS's.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { CryptoKey, JWK } from "jose";

export interface CallbackSigner {
  jwks(): { keys: JWK[] };
  /** A fresh token per delivery, valid 5 minutes. */
  sign(): Promise<string>;
}

export async function createCallbackSigner(issuer: string, audience: string): Promise<CallbackSigner> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const key: CryptoKey = privateKey;
  return {
    jwks: () => ({ keys: [publicJwk] }),
    sign: () =>
      new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime("5m")
        .setJti(randomUUID())
        .sign(key),
  };
}
