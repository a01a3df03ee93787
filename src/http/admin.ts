import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { KoaAdapter } from "@bull-board/koa";
import type { Queue } from "bullmq";
import type Koa from "koa";
import type { TokenStore } from "../auth/tokens.js";

export const ADMIN_QUEUES_PATH = "/admin/queues";

/**
 * The admin token from `Authorization`: `Bearer <token>` (scripts, curl) or HTTP Basic with the token as the
 * password (browsers: the board's own page calls its API, and a browser resends Basic credentials by itself).
 */
function asBearer(authorization: string | undefined): string | undefined {
  const basic = /^Basic (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!basic) return authorization;
  const decoded = Buffer.from(basic, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/** Only `admin` tokens pass below `base`: none or unknown → 401 (with a Basic challenge), another role → 403. */
export function requireAdmin(tokens: TokenStore, base: string): Koa.Middleware {
  return async (ctx, next) => {
    if (!under(ctx.path, base)) return next();
    const principal = tokens.authenticate(asBearer(ctx.get("authorization") || undefined));
    if (!principal) {
      ctx.status = 401;
      ctx.set("WWW-Authenticate", 'Basic realm="compliance-recorder admin", charset="UTF-8"');
      ctx.body = { error: "an admin token is needed (Bearer, or Basic with the token as password)" };
      return;
    }
    if (principal.role !== "admin") {
      ctx.status = 403;
      ctx.body = { error: `role ${principal.role} may not use the admin pages` };
      return;
    }
    return next();
  };
}

/** bull-board for the given queues, mounted at `base` (its page and its JSON API below it). */
export function queuesBoard(queues: readonly Queue[], base = ADMIN_QUEUES_PATH): Koa.Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(base);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  return serverAdapter.registerPlugin() as Koa.Middleware;
}
