import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "src/**/*.test.ts",
      "workers/**/*.test.ts",
      "simulator/**/*.test.ts",
      "scripts/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites start servers on random ports; two forks keep the 2-core machines responsive.
    pool: "forks",
    maxWorkers: 2,
  },
});
