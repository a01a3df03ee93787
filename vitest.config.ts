import { defineConfig } from "vitest/config";

/**
 * Test projects (`npm test` runs them all; `npm run test:<name>` one):
 * - unit: pure logic and in-process adapters beside the sources; no Redis, no set-up, no child processes
 *   (`npm run test:unit`);
 * - integration: test/ (real Redis, Azurite, workers in process), apart from the three below;
 * - e2e: the whole stack through the simulator; browser: the QA page in Chromium; deploy: builds, images, npm start.
 * Every project under test/ shares one set-up per run (test/support/global-setup.ts: Redis, a Redis Cluster, and
 * Chromium for the browser project), whatever the number of projects run.
 */
const systemProject = (name: string, include: string[], exclude: string[] = []) => ({
  extends: true as const,
  test: { name, include, exclude, globalSetup: ["test/support/global-setup.ts"] },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites start servers on random ports; two forks keep the 2-core machines responsive.
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "workers/**/*.test.ts", "simulator/**/*.test.ts", "scripts/**/*.test.ts"],
          // The files of a worker share one module graph instead of importing everything again per file (two
          // thirds of the project's time went to imports). Safe because unit tests mock no module and keep no
          // state in one: process-wide things (the metrics registry) are compared as deltas.
          isolate: false,
        },
      },
      systemProject("integration", ["test/**/*.test.ts"], ["test/e2e/**", "test/browser/**", "test/deploy/**"]),
      systemProject("e2e", ["test/e2e/**/*.test.ts"]),
      systemProject("browser", ["test/browser/**/*.test.ts"]),
      systemProject("deploy", ["test/deploy/**/*.test.ts"]),
    ],
  },
});
