import type { Server } from "node:http";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../test/support/http.js";
import type { AuditEntry } from "../audit/log.js";
import { sha256Hex, tokenStore } from "../auth/tokens.js";
import type { RecordingIndex } from "../retrieval/index-store.js";
import { exportsRoutes, MAX_EXPORT_SCAN } from "./exports-api.js";

// An index where nothing matches and there is always more: a selection whose filters hold only while scanning.
let pagesRead = 0;
const endless: Pick<RecordingIndex, "list"> = {
  async list() {
    pagesRead++;
    await new Promise((resolve) => setImmediate(resolve)); // a real index answers later: timers still run
    return { items: [], next: { score: 1, recordingId: "r" }, nextCursor: "more", scanned: 2_000 };
  },
};
const audit: AuditEntry[] = [];
const queued: unknown[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = (error as { status?: number }).status ?? 500;
      ctx.body = { error: (error as Error).message };
    }
  });
  const routes = exportsRoutes({
    tokens: tokenStore([{ name: "auditor", role: "auditor", sha256: sha256Hex("audit") }]),
    audit: { append: async (entry) => void audit.push(entry), recent: async () => [] },
    index: endless as RecordingIndex,
    queues: { enqueue: async (...job: unknown[]) => void queued.push(job), getJob: async () => undefined } as never,
    exportContainer: { containerName: "exports" },
    requests: { record: async () => undefined },
  } as Parameters<typeof exportsRoutes>[0]);
  app.use(routes.routes());
  ({ server, base } = await listen(app));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("POST /api/exports", () => {
  it(
    "stops looking for its selection after MAX_EXPORT_SCAN index entries: 400, nothing queued",
    { timeout: 10_000 },
    async () => {
      const response = await fetch(`${base}/api/exports`, {
        method: "POST",
        headers: { authorization: "Bearer audit", "content-type": "application/json" },
        body: JSON.stringify({ from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", minDurationSeconds: 1 }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(String(MAX_EXPORT_SCAN));
      expect(pagesRead).toBe(MAX_EXPORT_SCAN / 2_000);
      expect(queued).toEqual([]);
      expect(audit.at(-1)?.outcome).toMatch(/^refused 400/);
    },
  );
});
