import { randomUUID } from "node:crypto";
import type { TestProject } from "vitest/node";
import { CHROMIUM, ensureSystemTool, REDIS_SERVER } from "../../scripts/lib/system-packages.js";
import {
  redisAnswers,
  startPrivateRedis,
  startPrivateRedisCluster,
  type PrivateRedis,
  type PrivateRedisCluster,
} from "../../scripts/lib/services.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    /** `redis+cluster://…` of the Redis Cluster the tests share; empty when it could not be started. */
    redisClusterUrl: string;
    /** Why there is no cluster (what to install): the cluster tests fail with it. */
    redisClusterProblem: string;
    /** Why Chromium could not be found or installed (what to run): the browser tests fail with it; empty when present. */
    chromiumProblem: string;
    runId: string;
  }
}

let privateRedis: PrivateRedis | undefined;
let privateCluster: PrivateRedisCluster | undefined;

/**
 * Finds the Redis the tests share: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a private
 * redis-server. Every test keys its data under a per-run prefix, so the shared Redis's contents never matter.
 * Also a Redis Cluster for the tests that run on both: REDIS_CLUSTER_URL if set, else three private
 * redis-server processes made into a cluster (about 2 s), stopped again at the end.
 * What the machine lacks (redis-server, Chromium) is installed here, once, so that `npm test` needs nothing by hand.
 */
export async function setup(project: TestProject): Promise<void> {
  const log = (line: string) => console.log(`[test set-up] ${line}`);
  const redisTools = ensureSystemTool(REDIS_SERVER, log);
  const chromium = ensureSystemTool(CHROMIUM, log);
  project.provide("chromiumProblem", chromium.ok ? "" : chromium.problem);
  const cluster = findCluster();
  let url = process.env.REDIS_URL;
  if (!url) {
    if (await redisAnswers("127.0.0.1", 6379)) url = "redis://127.0.0.1:6379";
    else if (redisTools.ok) {
      privateRedis = await startPrivateRedis();
      url = privateRedis.url;
    } else {
      throw new Error(`Tests need Redis: set REDIS_URL or start one on 127.0.0.1:6379. ${redisTools.problem}`);
    }
  }
  project.provide("redisUrl", url);
  const found = await cluster;
  project.provide("redisClusterUrl", found.url);
  project.provide("redisClusterProblem", found.problem);
  project.provide("runId", `test-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`);
}

async function findCluster(): Promise<{ url: string; problem: string }> {
  if (process.env.REDIS_CLUSTER_URL) return { url: process.env.REDIS_CLUSTER_URL, problem: "" };
  try {
    privateCluster = await startPrivateRedisCluster();
    return { url: privateCluster.url, problem: "" };
  } catch (error) {
    return { url: "", problem: (error as Error).message };
  }
}

export async function teardown(): Promise<void> {
  await privateRedis?.stop();
  await privateCluster?.stop();
}
