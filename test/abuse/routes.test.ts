// Every route under /api asks the access rules (src/auth/access.ts) before anything else: the app's routers are
// enumerated layer by layer, so a route added without a guard fails here.
import type Router from "@koa/router";
import type Koa from "koa";
import { describe, expect, it } from "vitest";
import { ACTIONS } from "../../src/auth/access.js";
import { sha256Hex, tokenStore } from "../../src/auth/tokens.js";
import { guardOf } from "../../src/http/api-access.js";
import { createApp } from "../../src/http/app.js";
import { createLogger } from "../../src/log.js";
import { cursorCodec } from "../../src/retrieval/query.js";

/** Every layer of every router the app dispatches to. */
function routeLayers(app: Koa): Router["stack"] {
  return app.middleware.flatMap((middleware) => {
    const router = (middleware as { router?: Router }).router;
    return router ? router.stack : [];
  });
}

describe("routes under /api", () => {
  const app = everyRoute();
  const layers = routeLayers(app);
  const api = layers.filter((layer) => String(layer.path).startsWith("/api"));

  it("are found (the enumeration sees the API's routers)", () => {
    const paths = api.map((layer) => `${layer.methods.filter((m) => m !== "HEAD").join(",")} ${layer.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "POST /api/callbacks",
        "GET /api/recordings",
        "GET /api/recordings/:recordingId",
        "POST /api/recordings/:recordingId/chunks/:chunk/play",
        "GET /api/recordings/:recordingId/chunks/:chunk/stream",
        "POST /api/recordings/:recordingId/verify",
        "GET /api/recordings/:recordingId/chunks/:chunk/peaks",
        "GET /api/recordings/:recordingId/timeline",
        "POST /api/exports",
        "GET /api/exports/:exportId",
        "GET /api/audit",
        "POST /api/calls/:serverCallId/:operation",
        "GET /api/recordings/:recordingId/reviews",
        "POST /api/recordings/:recordingId/reviews",
        "GET /api/reviews/queue",
        "POST /api/reviews/queue/:recordingId/assign",
        "GET /api/reviews/report",
        "POST /api/reviews/:reviewId/versions",
      ]),
    );
  });

  it("each start with a guard that asks the access rules (or, for intake, its own credential)", () => {
    const unguarded = api
      .filter((layer) => {
        const mark = guardOf(layer.stack[0]);
        if (!mark) return true;
        if (mark.kind === "intake") return layer.path !== "/api/callbacks";
        const { action } = mark.access;
        return typeof action === "string" && !ACTIONS.includes(action);
      })
      .map((layer) => layer.path);
    expect(unguarded).toEqual([]);
  });

  it("are all route layers (no router-wide middleware under /api that would answer unguarded)", () => {
    expect(api.filter((layer) => layer.methods.length === 0).map((layer) => layer.path)).toEqual([]);
  });
});

/** The app with every API mounted; nothing is called, so the adapters are never used. */
function everyRoute(): Koa {
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error("not used")) }) as never;
  const tokens = tokenStore([{ name: "a", role: "auditor", sha256: sha256Hex("a") }]);
  return createApp({
    logger: createLogger("silent", "test"),
    sink: unused,
    callbackVerifier: unused,
    eventGridSecrets: ["s"],
    recordingHostSuffixes: [".asm.skype.com"],
    maxBodyBytes: 1024,
    readiness: {},
    tokens,
    calls: { tokens, sessions: unused, queues: unused, audit: unused },
    retrieval: {
      recordings: {
        tokens,
        audit: unused,
        index: unused,
        container: unused,
        cursors: cursorCodec("c".repeat(32)),
        playback: { ticketSecret: "t".repeat(32), ticketTtlMs: 1000 },
      },
      exports: { tokens, audit: unused, index: unused, queues: unused, exportContainer: unused, requests: unused },
      audit: { tokens, audit: unused, archive: unused },
      reviews: { tokens, audit: unused, recordings: unused, reviews: unused },
    },
  });
}
