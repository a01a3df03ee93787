// The unsigned endpoints ACS publishes for callback verification (docs/acs-payloads.md "Authentication").
import { header } from "../http.js";
import type { CallbackSigner } from "../jwt.js";
import type { Route } from "../router.js";

export function publicRoutes(baseUrl: () => string, issuer: string, signer: CallbackSigner): Route[] {
  return [
    {
      method: "GET",
      pattern: /^\/calling\/\.well-known\/acsopenidconfiguration$/,
      kind: "public",
      operation: "unknown",
      // jwks_uri follows the Host the caller used, so it stays reachable behind docker-compose names.
      handle: (req) => ({
        status: 200,
        json: {
          issuer,
          jwks_uri: `${hostUrl(header(req, "host")) ?? baseUrl()}/calling/keys`,
          id_token_signing_alg_values_supported: ["RS256"],
        },
      }),
    },
    {
      method: "GET",
      pattern: /^\/calling\/keys$/,
      kind: "public",
      operation: "unknown",
      handle: () => ({ status: 200, json: signer.jwks() }),
    },
  ];
}

function hostUrl(host: string | undefined): string | undefined {
  return host && /^[\w.\-[\]:]+$/.test(host) ? `http://${host}` : undefined;
}
