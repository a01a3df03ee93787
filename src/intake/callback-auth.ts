import { z } from "zod";
import { createBearerVerifier, remoteKeys, type BearerVerifier } from "./bearer.js";

const openIdConfiguration = z.looseObject({ issuer: z.string().min(1), jwks_uri: z.url() });

export type CallbackVerifier = BearerVerifier;

/**
 * Verifies ACS callback JWTs (reference §3.4): RS256, issuer and keys from ACS's OpenID configuration,
 * audience = the ACS immutable resource id.
 */
export function createCallbackVerifier(
  openIdConfigurationUrl: string,
  audience: string,
  options: { refreshCooldownMs?: number } = {},
): CallbackVerifier {
  return createBearerVerifier(
    async () => {
      const response = await fetch(openIdConfigurationUrl, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`OpenID configuration ${openIdConfigurationUrl} answered ${response.status}`);
      const config = openIdConfiguration.parse(await response.json());
      return remoteKeys(config.issuer, config.jwks_uri, options.refreshCooldownMs);
    },
    audience,
    "callback",
  );
}
