import { createHmac, timingSafeEqual } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { KoaAdapter } from "@bull-board/koa";
import type { Queue } from "bullmq";
import type Koa from "koa";
import { z } from "zod";
import { decide, type Principal, type TokenStore } from "../auth/index.js";
import { readBody } from "../intake/index.js";
import type { Logger } from "../log.js";

export const ADMIN_QUEUES_PATH = "/admin/queues";
export const ADMIN_LOGIN_PATH = "/admin/login";
export const ADMIN_LOGOUT_PATH = "/admin/logout";
export const ADMIN_SESSION_COOKIE = "cr_admin";

/** What the board may change: nothing (read-only), or retry, promote, pause and resume (operate). */
export type BoardMode = "read-only" | "operate";

/**
 * The board's API calls an operator may make in `operate` mode (paths below the board's base). Never: adding a
 * job or editing its data (a job is an instruction to the workers: an export names its requester and target),
 * emptying, cleaning or obliterating a queue, removing jobs, schedulers, concurrency or rate limits.
 */
const OPERATE_ROUTES = [
  /^\/api\/queues\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(pause|resume|promote)$/,
  /^\/api\/queues\/[^/]+\/retry\/(failed|completed)$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote)$/,
];

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * Admin board sessions: `<payload>.<HMAC-SHA256>` (base64url), the payload naming the admin token's holder and an
 * expiry. Held in an HttpOnly, SameSite=Strict cookie scoped to /admin: a browser never sends it along with a
 * request another site starts, unlike HTTP Basic credentials, which browsers resend to any request by themselves.
 */
export interface AdminSessions {
  issue(name: string): string;
  /** The admin's name, if the session is authentic and not expired. */
  verify(value: string | undefined): string | undefined;
  ttlSeconds: number;
}

const sessionShape = z.strictObject({ n: z.string().min(1), e: z.number().int() });

export function adminSessions(secret: string, ttlSeconds: number, now: () => number = Date.now): AdminSessions {
  const key = createHmac("sha256", secret).update("compliance-recorder admin session v1").digest();
  const mac = (payload: string) => createHmac("sha256", key).update(payload).digest();
  return {
    ttlSeconds,
    issue(name) {
      const payload = Buffer.from(JSON.stringify({ n: name, e: now() + ttlSeconds * 1000 })).toString("base64url");
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    verify(value) {
      const [payload, signature, extra] = (value ?? "").split(".");
      if (!payload || !signature || extra !== undefined) return undefined;
      const given = Buffer.from(signature, "base64url");
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const parsed = sessionShape.safeParse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
        return parsed.success && parsed.data.e > now() ? parsed.data.n : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/** The Origin's host, if the header is there (null for "null" or garbage: never same-origin). */
function originHost(ctx: Koa.Context): string | null | undefined {
  const origin = ctx.get("origin");
  if (!origin) return undefined;
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Whether the request may come from where it says: a request naming another origin is refused, and a state
 * changing one that rides on the session cookie must name ours (Origin, or Sec-Fetch-Site: same-origin) — a
 * cross-site form or script cannot.
 */
function sameOrigin(ctx: Koa.Context, cookieBorne: boolean): boolean {
  const host = originHost(ctx);
  if (host !== undefined) return host === ctx.host;
  if (SAFE_METHODS.has(ctx.method) || !cookieBorne) return ctx.get("sec-fetch-site") !== "cross-site";
  return ctx.get("sec-fetch-site") === "same-origin";
}

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>compliance-recorder admin</title></head>
<body><h1>compliance-recorder: queue board</h1>
<form method="post" action="${ADMIN_LOGIN_PATH}">
<label>Admin token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Log in</button></form></body></html>
`;
const PAGE_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
};

export interface AdminGuardOptions {
  tokens: TokenStore;
  sessions: AdminSessions;
  mode: BoardMode;
  logger: Logger;
  base?: string;
}

/**
 * Everything under /admin: the login (an admin token exchanged for a session cookie), the logout, and the guard
 * of the board below `base`. The board answers an admin only — `Authorization: Bearer <admin token>` (scripts)
 * or the session cookie (browsers); HTTP Basic is not accepted — from our own origin, read-only unless
 * ADMIN_BOARD_MODE=operate, and never creates or edits a job.
 */
export function adminGuard(options: AdminGuardOptions): Koa.Middleware {
  const { tokens, sessions, mode, logger } = options;
  const base = options.base ?? ADMIN_QUEUES_PATH;
  const refuse = (ctx: Koa.Context, status: number, error: string) => {
    ctx.status = status;
    ctx.set("Cache-Control", "no-store");
    ctx.body = { error };
  };
  const setSession = (ctx: Koa.Context, value: string | null) =>
    ctx.cookies.set(ADMIN_SESSION_COOKIE, value, {
      path: "/admin",
      httpOnly: true,
      sameSite: "strict",
      secure: ctx.secure,
      maxAge: value ? sessions.ttlSeconds * 1000 : 0,
      overwrite: true,
    });

  const login = async (ctx: Koa.Context) => {
    if (ctx.method === "GET" || ctx.method === "HEAD") {
      ctx.set(PAGE_HEADERS);
      ctx.type = "text/html; charset=utf-8";
      ctx.body = LOGIN_PAGE;
      return;
    }
    if (ctx.method !== "POST") return refuse(ctx, 405, "GET or POST");
    if (!sameOrigin(ctx, true)) return refuse(ctx, 403, "a login must come from this origin");
    const form = new URLSearchParams((await readBody(ctx.req, 4096)).toString("utf8"));
    const principal = tokens.authenticate(`Bearer ${form.get("token") ?? ""}`);
    const decision = decide(principal, "board");
    if (!decision.allowed) return refuse(ctx, decision.status, decision.message);
    setSession(ctx, sessions.issue(principal!.name));
    logger.info({ admin: principal!.name, from: ctx.ip }, "admin logged in to the board");
    ctx.redirect(base);
    ctx.status = 303;
  };

  const logout = (ctx: Koa.Context) => {
    if (ctx.method !== "POST") return refuse(ctx, 405, "POST");
    if (!sameOrigin(ctx, true)) return refuse(ctx, 403, "a logout must come from this origin");
    setSession(ctx, null);
    ctx.redirect(ADMIN_LOGIN_PATH);
    ctx.status = 303;
  };

  return async (ctx, next) => {
    if (ctx.path === ADMIN_LOGIN_PATH) return login(ctx);
    if (ctx.path === ADMIN_LOGOUT_PATH) return logout(ctx);
    if (!under(ctx.path, base)) return next();

    const bearer = /^Bearer \S+$/i.test(ctx.get("authorization")) ? ctx.get("authorization") : undefined;
    const sessionName = bearer ? undefined : sessions.verify(ctx.cookies.get(ADMIN_SESSION_COOKIE));
    const principal: Principal | undefined = bearer
      ? tokens.authenticate(bearer)
      : sessionName
        ? { name: sessionName, role: "admin" }
        : undefined;
    if (!sameOrigin(ctx, sessionName !== undefined))
      return refuse(ctx, 403, "cross-origin requests to the admin pages are refused");
    const decision = decide(principal, "board");
    if (!decision.allowed) {
      if (decision.status === 401 && SAFE_METHODS.has(ctx.method) && ctx.get("accept").includes("text/html")) {
        ctx.redirect(ADMIN_LOGIN_PATH);
        ctx.status = 303;
        return;
      }
      return refuse(
        ctx,
        decision.status,
        decision.status === 401
          ? `an admin token is needed: log in at ${ADMIN_LOGIN_PATH}, or send Bearer`
          : decision.message,
      );
    }
    if (!SAFE_METHODS.has(ctx.method)) {
      const route = ctx.path.slice(base.length);
      if (mode === "read-only") return refuse(ctx, 405, "the board is read-only (ADMIN_BOARD_MODE=read-only)");
      if (ctx.method !== "PUT" || !OPERATE_ROUTES.some((allowed) => allowed.test(route)))
        return refuse(
          ctx,
          403,
          "the board retries, promotes, pauses and resumes; it creates, edits and removes nothing",
        );
      logger.info({ admin: principal!.name, from: ctx.ip, method: ctx.method, route }, "admin board action");
    }
    return next();
  };
}

/** bull-board for the given queues, mounted at `base` (its page and its JSON API below it). */
export function queuesBoard(queues: readonly Queue[], mode: BoardMode, base = ADMIN_QUEUES_PATH): Koa.Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(base);
  const readOnlyMode = mode === "read-only";
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode, allowRetries: !readOnlyMode })),
    serverAdapter,
  });
  return serverAdapter.registerPlugin() as Koa.Middleware;
}
