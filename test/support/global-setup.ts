import { randomUUID } from "node:crypto";
import type { TestProject } from "vitest/node";
import { CHROMIUM, ensureSystemTool, REDIS_SERVER } from "../../scripts/local-stack/system-packages.js";
import {
  redisAnswers,
  startPrivateRedis,
  startPrivateRedisCluster,
  type PrivateRedis,
  type PrivateRedisCluster,
} from "../../scripts/local-stack/services.js";

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

interface Services {
  redisUrl: string;
  redisClusterUrl: string;
  redisClusterProblem: string;
  runId: string;
  stop(): Promise<void>;
}

/**
 * What every project under test/ shares in one run. Vitest loads this file once per project but in one process, so
 * the services live on globalThis: started by the first project's set-up, stopped by the last one's teardown.
 */
const shared = globalThis as { __recorderTestServices?: { services: Promise<Services>; users: number } };

/**
 * Finds the Redis the tests share: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a private
 * redis-server. Every test keys its data under a per-run prefix, so the shared Redis's contents never matter.
 * Also a Redis Cluster for the tests that run on both: REDIS_CLUSTER_URL if set, else three private
 * redis-server processes made into a cluster (about 2 s), stopped again at the end.
 * What the machine lacks (redis-server, Chromium for the browser project) is installed here, once, so that
 * `npm test` needs nothing by hand.
 */
export async function setup(project: TestProject): Promise<void> {
  const log = (line: string) => console.log(`[test set-up] ${line}`);
  shared.__recorderTestServices ??= { services: startServices(log), users: 0 };
  shared.__recorderTestServices.users++;
  const services = await shared.__recorderTestServices.services;
  project.provide("redisUrl", services.redisUrl);
  project.provide("redisClusterUrl", services.redisClusterUrl);
  project.provide("redisClusterProblem", services.redisClusterProblem);
  project.provide("runId", services.runId);
  const chromium = project.name === "browser" ? ensureSystemTool(CHROMIUM, log) : { ok: true as const };
  project.provide("chromiumProblem", chromium.ok ? "" : chromium.problem);
}

async function startServices(log: (line: string) => void): Promise<Services> {
  const redisTools = ensureSystemTool(REDIS_SERVER, log);
  let privateRedis: PrivateRedis | undefined;
  let privateCluster: PrivateRedisCluster | undefined;
  const cluster = (async (): Promise<{ url: string; problem: string }> => {
    if (process.env.REDIS_CLUSTER_URL) return { url: process.env.REDIS_CLUSTER_URL, problem: "" };
    try {
      privateCluster = await startPrivateRedisCluster();
      return { url: privateCluster.url, problem: "" };
    } catch (error) {
      return { url: "", problem: (error as Error).message };
    }
  })();
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
  const found = await cluster;
  return {
    redisUrl: url,
    redisClusterUrl: found.url,
    redisClusterProblem: found.problem,
    runId: `test-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`,
    async stop() {
      await privateRedis?.stop();
      await privateCluster?.stop();
    },
  };
}

export async function teardown(): Promise<void> {
  const entry = shared.__recorderTestServices;
  if (!entry || --entry.users > 0) return;
  shared.__recorderTestServices = undefined;
  await (await entry.services).stop();
}
