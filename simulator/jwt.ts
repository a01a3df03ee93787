// The simulator's own signing key for callback JWTs (docs/acs-payloads.md "Authentication"), published as a JWKS like ACS's.
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { exportJWK, exportPKCS8, generateKeyPair } from "jose";
import type { JWK } from "jose";

export interface CallbackSigner {
  jwks(): { keys: JWK[] };
  /** A fresh token per delivery, valid 5 minutes. */
  sign(): Promise<string>;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function createCallbackSigner(issuer: string, audience: string): Promise<CallbackSigner> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  // Signed with node:crypto directly: a compact RS256 JWS is header.payload.signature, and jose's WebCrypto
  // path cost the simulator twice the CPU per callback on a machine it shares with the app under test.
  const key = createPrivateKey(await exportPKCS8(privateKey));
  const header = base64url({ alg: "RS256", kid, typ: "JWT" });
  return {
    jwks: () => ({ keys: [publicJwk] }),
    sign: () => {
      const now = Math.floor(Date.now() / 1000);
      const payload = base64url({ iss: issuer, aud: audience, iat: now, nbf: now, exp: now + 300, jti: randomUUID() });
      const signature = sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), key).toString("base64url");
      return Promise.resolve(`${header}.${payload}.${signature}`);
    },
  };
}
