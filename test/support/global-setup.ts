import { randomUUID } from "node:crypto";
import type { TestProject } from "vitest/node";
import {
  redisAnswers,
  redisServerInstalled,
  startPrivateRedis,
  type PrivateRedis,
} from "../../scripts/lib/services.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    runId: string;
  }
}

let privateRedis: PrivateRedis | undefined;

/**
 * Finds the Redis the tests share: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a private
 * redis-server. Every test keys its data under a per-run prefix, so the shared Redis's contents never matter.
 */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.REDIS_URL;
  if (!url) {
    if (await redisAnswers("127.0.0.1", 6379)) url = "redis://127.0.0.1:6379";
    else if (redisServerInstalled()) {
      privateRedis = await startPrivateRedis();
      url = privateRedis.url;
    } else {
      throw new Error(
        "Tests need Redis: set REDIS_URL, start one on 127.0.0.1:6379, or `apt-get install -y redis-server`.",
      );
    }
  }
  project.provide("redisUrl", url);
  project.provide("runId", `test-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`);
}

export async function teardown(): Promise<void> {
  await privateRedis?.stop();
}
