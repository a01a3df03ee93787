/**
 * Stream tickets (pure): an `<audio>` element cannot send an Authorization header, so `play` hands out a
 * short-lived, read-only ticket for one chunk, bound to who asked. `<claims>.<HMAC-SHA256>`, both base64url.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Principal } from "../auth/index.js";

export interface TicketClaims {
  principal: Principal;
  recordingId: string;
  chunk: number;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

const claimsShape = z.strictObject({
  n: z.string(),
  ro: z.enum(["team", "auditor"]),
  t: z.string().optional(),
  r: z.string(),
  c: z.number().int().min(0),
  e: z.number().int(),
});

const mac = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest();

export function signTicket(secret: string, claims: TicketClaims): string {
  const { principal } = claims;
  const payload = Buffer.from(
    JSON.stringify({
      n: principal.name,
      ro: principal.role,
      ...(principal.role === "team" ? { t: principal.team } : {}),
      r: claims.recordingId,
      c: claims.chunk,
      e: claims.expiresAt,
    }),
  ).toString("base64url");
  return `${payload}.${mac(secret, payload).toString("base64url")}`;
}

/** The claims of an authentic ticket for this recording and chunk that has not expired; otherwise undefined. */
export function verifyTicket(
  secret: string,
  ticket: string,
  expect: { recordingId: string; chunk: number; now: number },
): TicketClaims | undefined {
  const [payload, signature, extra] = ticket.split(".");
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, "base64url");
  // Canonical base64url only: a last character differing in its unused bits would decode to the same bytes.
  if (given.toString("base64url") !== signature) return undefined;
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let parsed: z.infer<typeof claimsShape>;
  try {
    const result = claimsShape.safeParse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    if (!result.success) return undefined;
    parsed = result.data;
  } catch {
    return undefined;
  }
  if (parsed.r !== expect.recordingId || parsed.c !== expect.chunk || parsed.e <= expect.now) return undefined;
  if (parsed.ro === "team" && !parsed.t) return undefined;
  const principal: Principal =
    parsed.ro === "team" ? { name: parsed.n, role: "team", team: parsed.t! } : { name: parsed.n, role: "auditor" };
  return { principal, recordingId: parsed.r, chunk: parsed.c, expiresAt: parsed.e };
}
