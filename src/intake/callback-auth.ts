import { z } from "zod";
import { createBearerVerifier, fetchJson, remoteKeys, type BearerVerifier, type FetchLimits } from "./bearer.js";

const openIdConfiguration = z.looseObject({ issuer: z.string().min(1), jwks_uri: z.url() });

export type CallbackVerifier = BearerVerifier;

/**
 * Verifies ACS callback JWTs ("Secure webhook callbacks" in Microsoft's Call Automation docs): RS256, issuer
 * and keys from ACS's OpenID configuration, audience = the ACS immutable resource id. The configuration and the
 * keys are fetched with a negative cache (src/intake/bearer.ts), so bad callbacks cannot multiply our requests.
 */
export function createCallbackVerifier(
  openIdConfigurationUrl: string,
  audience: string,
  limits: FetchLimits = {},
): CallbackVerifier {
  return createBearerVerifier(
    async () => {
      const config = openIdConfiguration.parse(await fetchJson(openIdConfigurationUrl));
      return remoteKeys(config.issuer, config.jwks_uri, limits);
    },
    audience,
    "callback",
    limits,
  );
}
