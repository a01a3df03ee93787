import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { z } from "zod";

/**
 * Who is calling the API: a team's operator or supervisor, an auditor (every team, read-only), or an operations
 * admin (the queue board at /admin/queues only: no call data through the API, no acting on calls).
 */
export type Principal =
  { name: string; role: "team"; team: string } | { name: string; role: "auditor" } | { name: string; role: "admin" };

/** Who may read recordings: a team's reviewer (its own team) or an auditor (every team). Admins run queues only. */
export type Reader = Extract<Principal, { role: "team" | "auditor" }>;

const tokensFile = z.strictObject({
  tokens: z.array(
    z.strictObject({
      name: z.string().min(1),
      role: z.enum(["team", "auditor", "admin"]),
      team: z.string().min(1).optional(),
      /** SHA-256 (hex) of the token: the token itself is never stored. `recorder tokens new` makes one. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "the SHA-256 of the token, 64 lower-case hex digits"),
    }),
  ),
});

export interface TokenStore {
  /** The principal of an `Authorization: Bearer <token>` header, or undefined. */
  authenticate(authorization: string | undefined): Principal | undefined;
}

export const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");

export function tokenStore(entries: z.infer<typeof tokensFile>["tokens"]): TokenStore {
  const known = entries.map((entry) => {
    if (entry.role === "team" && !entry.team) throw new Error(`token ${entry.name}: role team needs a team`);
    const principal: Principal =
      entry.role === "team"
        ? { name: entry.name, role: "team", team: entry.team! }
        : { name: entry.name, role: entry.role };
    return { digest: Buffer.from(entry.sha256, "hex"), principal };
  });
  return {
    authenticate(authorization) {
      const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
      if (!token) return undefined;
      const digest = createHash("sha256").update(token).digest();
      // Every entry is compared, in constant time, so timing reveals nothing about which matched.
      let found: Principal | undefined;
      for (const entry of known) if (timingSafeEqual(digest, entry.digest)) found = entry.principal;
      return found;
    },
  };
}

/** Loads API tokens from a YAML file (see docs/api.md "API tokens"); no file: no token is accepted. */
export async function loadTokenStore(path: string | undefined): Promise<TokenStore> {
  if (!path) return tokenStore([]);
  const parsed = tokensFile.safeParse(parse(await readFile(path, "utf8")));
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return tokenStore(parsed.data.tokens);
}
