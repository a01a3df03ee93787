import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { IntakeError } from "./errors.js";

const openIdConfiguration = z.looseObject({ issuer: z.string().min(1), jwks_uri: z.url() });

export interface CallbackVerifier {
  /** Resolves when the `Authorization: Bearer` JWT was issued by ACS for our resource; else throws IntakeError 401. */
  verify(authorization: string | undefined): Promise<void>;
}

/**
 * Verifies ACS callback JWTs (reference §3.4): RS256, issuer and keys from the OpenID configuration,
 * audience = the ACS immutable resource id. jose caches the key set and refetches it on an unknown `kid`.
 */
export function createCallbackVerifier(
  openIdConfigurationUrl: string,
  audience: string,
  options: { refreshCooldownMs?: number } = {},
): CallbackVerifier {
  // An unknown kid refetches the key set at most once per cooldown, so forged kids cannot flood the key endpoint.
  const cooldownDuration = options.refreshCooldownMs ?? 5_000;
  let keys: Promise<{ issuer: string; jwks: JWTVerifyGetKey }> | undefined;
  const discover = async () => {
    const response = await fetch(openIdConfigurationUrl, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`OpenID configuration ${openIdConfigurationUrl} answered ${response.status}`);
    const config = openIdConfiguration.parse(await response.json());
    return { issuer: config.issuer, jwks: createRemoteJWKSet(new URL(config.jwks_uri), { cooldownDuration }) };
  };
  return {
    async verify(authorization) {
      const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
      if (!token) throw new IntakeError(401, "missing bearer token");
      // A failed discovery is not cached: the next callback tries again.
      keys ??= discover().catch((error: unknown) => {
        keys = undefined;
        throw error;
      });
      const { issuer, jwks } = await keys;
      try {
        await jwtVerify(token, jwks, { issuer, audience, algorithms: ["RS256"], clockTolerance: 30 });
      } catch (error) {
        throw new IntakeError(401, `invalid callback token: ${(error as Error).message}`);
      }
    },
  };
}
