// docker-compose.yml, parsed (no Docker engine here: never started by the tests): the app and the worker get a
// configuration the app accepts, probes on the routes they serve, and the development admin token works.
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadTokenStore } from "../../src/auth/tokens.js";
import { PRODUCTION_COMMANDS } from "../../scripts/local-stack/processes.js";
import { loadConfig } from "../../src/config/index.js";

interface Service {
  command: string[];
  environment: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  ports?: string[];
  cpu_shares?: number;
  cpus?: number;
}

describe("docker-compose.yml", () => {
  it("runs the webhook and the workers by role with valid configuration, health checks and the admin token", async () => {
    // `<<: *app-env` merges: the yaml package resolves it with merge keys on.
    const compose = parse(await readFile("docker-compose.yml", "utf8"), { merge: true }) as {
      services: Record<string, Service>;
    };
    const { app, simulator, redis, azurite } = compose.services;
    const control = compose.services["worker-control"];
    const ingest = compose.services["worker-ingest"];
    expect([app, control, ingest, simulator, redis, azurite].every(Boolean)).toBe(true);
    expect(compose.services.worker).toBeUndefined();
    expect(app!.command).toEqual(PRODUCTION_COMMANDS.webhook);
    expect(simulator!.command).toEqual(PRODUCTION_COMMANDS.simulator);
    for (const service of [app!, control!, ingest!]) expect(() => loadConfig(service.environment)).not.toThrow();
    expect(app!.healthcheck?.test.join(" ")).toContain("http://127.0.0.1:8080/healthz");
    for (const worker of [control!, ingest!]) {
      expect(worker.command).toEqual(PRODUCTION_COMMANDS.worker);
      expect(loadConfig(worker.environment).WORKER_HTTP_PORT).toBe(8081);
      expect(worker.healthcheck?.test.join(" ")).toContain("http://127.0.0.1:8081/readyz");
    }
    // Control and ingest in processes of their own, every role served; ingest weighs less on the CPU.
    expect(loadConfig(control!.environment).WORKER_ROLE).toEqual(["control"]);
    expect(loadConfig(ingest!.environment).WORKER_ROLE).toEqual(["ingest", "retrieval", "operations"]);
    expect(ingest!.cpu_shares).toBeLessThan(1024);
    expect(control!.cpu_shares).toBeUndefined();
    expect(ingest!.ports).toEqual(["8083:8081"]);
    // The simulator subscribes the webhook with the app's secret.
    expect(compose.services.simulator!.environment.SIM_EVENTGRID_URL).toContain(
      `code=${app!.environment.EVENTGRID_SECRET}`,
    );

    const [hostPath, containerPath] = app!.volumes![0]!.replace(/^\.\//, "").split(":");
    expect(containerPath).toBe(app!.environment.API_TOKENS_FILE);
    const tokens = await loadTokenStore(hostPath);
    expect(tokens.authenticate("Bearer local-admin-token")).toEqual({ name: "local-admin", role: "admin" });
  });
});
