import type { JWTPayload } from "jose";
import { createBearerVerifier, remoteKeys, type BearerVerifier, type FetchLimits } from "./bearer.js";

/**
 * Event Grid's own first-party application ("Microsoft.EventGrid"): the client Event Grid's delivery tokens are
 * issued to, per cloud, as given in Microsoft's script of "Secure WebHook delivery with Microsoft Entra
 * Application in Azure Event Grid" ($eventGridAppId):
 * https://learn.microsoft.com/azure/event-grid/scripts/powershell-webhook-secure-delivery-microsoft-entra-app
 */
export const EVENT_GRID_APP_ID = {
  public: "4962773b-9cdb-44cf-a8bf-237846a00ab7",
  government: "54316b56-3481-47f9-8f30-0300f5542a7b",
} as const;

/**
 * The app role the same script creates in the webhook's app registration and assigns to Event Grid's service
 * principal (and to whoever writes the subscription, which is why the role alone does not identify Event Grid).
 */
export const EVENT_GRID_WEBHOOK_ROLE = "AzureEventGridSecureWebhookSubscriber";

export interface EntraCaller {
  /** Client application ids allowed to deliver: `appid` (v1.0 tokens) or `azp` (v2.0 tokens). */
  allowedAppIds: readonly string[];
  /** An app role the token's `roles` must hold. */
  requiredRole: string;
}

/**
 * Who a verified token was issued to, checked against the allow-list: a token any other app of the tenant got
 * for our audience is refused, as is one without the role. `appid` is the client in v1.0 access tokens, `azp` in
 * v2.0 ones (Microsoft identity platform "Access token claims reference").
 */
export function refusedCaller(claims: JWTPayload, caller: EntraCaller): string | undefined {
  const client = typeof claims.appid === "string" ? claims.appid : typeof claims.azp === "string" ? claims.azp : "";
  if (!client) return "no client application (appid/azp) in the token";
  if (!caller.allowedAppIds.some((id) => id.toLowerCase() === client.toLowerCase()))
    return `issued to application ${client.slice(0, 64)}, not to Event Grid`;
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  if (!roles.includes(caller.requiredRole)) return `the token lacks the app role ${caller.requiredRole}`;
  return undefined;
}

export interface EntraDeliverySettings extends EntraCaller {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

/** Bearer tokens of Event Grid deliveries: signature, issuer, audience, expiry, then the caller (refusedCaller). */
export function createEntraDeliveryVerifier(settings: EntraDeliverySettings, limits: FetchLimits = {}): BearerVerifier {
  return createBearerVerifier(
    async () => remoteKeys(settings.issuer, settings.jwksUrl, limits),
    settings.audience,
    "Entra",
    {
      ...limits,
      authorize: (claims) => refusedCaller(claims, settings),
    },
  );
}
