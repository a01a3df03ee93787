// deploy/k8s: parsed and checked without a cluster (no kubectl here): replicas, probes on the routes the
// processes serve, configuration from the ConfigMap and Secret, and that this configuration passes the app's own
// validation (so no required variable is missing). Not applied to a cluster anywhere in these tests.
import { copyFile, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { PRODUCTION_COMMANDS } from "../../scripts/local-stack/processes.js";
import { loadConfig } from "../../src/config/index.js";
import { loadDirectories } from "../../src/directory/index.js";
import { loadPolicySet } from "../../src/policy/index.js";
import { WORKER_ROLES } from "../../src/queues/index.js";
import { loadScorecards } from "../../src/reviews/index.js";

const DIR = "deploy/k8s";
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface Container {
  name: string;
  command: string[];
  env?: { name: string; value: string }[];
  ports: { name: string; containerPort: number }[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Container[];
        volumes: {
          name: string;
          configMap?: { name: string };
          secret?: { secretName: string; items?: { key: string; path: string }[] };
        }[];
      };
    };
  };
}

let manifests: Manifest[];
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = <T extends Manifest>(kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};

beforeAll(async () => {
  manifests = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith(".yaml"))) {
    for (const document of parseAllDocuments(await readFile(join(DIR, file), "utf8"))) {
      expect(document.errors, file).toEqual([]);
      manifests.push(document.toJS() as Manifest);
    }
  }
});

const configMap = () => named<Manifest & { data: Record<string, string> }>("ConfigMap", "compliance-recorder-config");
const secret = () => named<Manifest & { stringData: Record<string, string> }>("Secret", "compliance-recorder-secrets");

describe("deploy/k8s", () => {
  it.each([
    ["compliance-recorder-webhook", "webhook", "8080"],
    ["compliance-recorder-worker-control", "worker", "8081"],
    ["compliance-recorder-worker-ingest", "worker", "8081"],
  ] as const)(
    "%s: ≥ 2 replicas, the compiled process, probes on its own port, configuration from the ConfigMap and the Secret",
    (name, kind, port) => {
      const deployment = named<Deployment>("Deployment", name);
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
      const [container, ...others] = deployment.spec.template.spec.containers;
      expect(others).toEqual([]);
      expect(container!.command).toEqual(PRODUCTION_COMMANDS[kind]);
      const http = container!.ports.find((p) => p.name === "http");
      expect(String(http?.containerPort)).toBe(port);
      // The port the process listens on is the one the ConfigMap gives it.
      expect(configMap().data[kind === "webhook" ? "PORT" : "WORKER_HTTP_PORT"]).toBe(port);
      expect(container!.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container!.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(container!.envFrom).toEqual([
        { configMapRef: { name: "compliance-recorder-config" } },
        { secretRef: { name: "compliance-recorder-secrets" } },
      ]);
      expect(container!.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container!.resources.limits).toMatchObject({ memory: expect.any(String) });

      // POLICY_DIR is where the policies ConfigMap is mounted.
      const volumes = deployment.spec.template.spec.volumes;
      const policies = container!.volumeMounts.find((m) => m.mountPath === configMap().data.POLICY_DIR);
      expect(volumes.find((v) => v.name === policies?.name)?.configMap?.name).toBe("compliance-recorder-policies");
      // A disruption budget keeps one of them up during node drains.
      const budgets = byKind("PodDisruptionBudget") as (Manifest & { spec: { selector: { matchLabels: unknown } } })[];
      const own = JSON.stringify(deployment.spec.selector.matchLabels);
      expect(budgets.filter((pdb) => JSON.stringify(pdb.spec.selector.matchLabels) === own)).toHaveLength(1);
    },
  );

  it("runs control and ingest as Deployments of their own: every role served once, ingest's CPU bounded below control's", () => {
    const roleOf = (name: string) => {
      const container = named<Deployment>("Deployment", name).spec.template.spec.containers[0]!;
      const value = container.env?.find((variable) => variable.name === "WORKER_ROLE")?.value;
      const config = loadConfig({ ...configMap().data, ...secret().stringData, WORKER_ROLE: value });
      return { roles: config.WORKER_ROLE, resources: container.resources };
    };
    const control = roleOf("compliance-recorder-worker-control");
    const ingest = roleOf("compliance-recorder-worker-ingest");
    expect(control.roles).toEqual(["control"]);
    // The periodic jobs off control: with ingest, on a queue of their own (docs/operations.md "Worker roles").
    expect(ingest.roles).toEqual(["ingest", "retrieval", "operations"]);
    expect([...control.roles, ...ingest.roles].sort()).toEqual([...WORKER_ROLES].sort());
    // The ConfigMap leaves the role to each Deployment (a WORKER_ROLE there would be overridden anyway).
    expect(configMap().data.WORKER_ROLE).toBeUndefined();
    const cores = (cpu: string | undefined) =>
      cpu === undefined ? Infinity : cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
    // Control is never throttled; ingest is, and asks for less.
    expect(control.resources.limits.cpu).toBeUndefined();
    expect(cores(ingest.resources.limits.cpu)).toBeLessThanOrEqual(1);
    expect(cores(ingest.resources.requests.cpu)).toBeLessThan(cores(control.resources.requests.cpu));
    // No Deployment runs every role: the single worker of before is gone.
    const workers = byKind("Deployment").filter((d) => d.metadata.name.startsWith("compliance-recorder-worker"));
    expect(workers.map((d) => d.metadata.name).sort()).toEqual([
      "compliance-recorder-worker-control",
      "compliance-recorder-worker-ingest",
    ]);
  });

  it("mounts the API tokens file where API_TOKENS_FILE points, in the webhook", () => {
    const webhook = named<Deployment>("Deployment", "compliance-recorder-webhook");
    const path = configMap().data.API_TOKENS_FILE!;
    const dir = path.slice(0, path.lastIndexOf("/"));
    const file = path.slice(dir.length + 1);
    const mount = webhook.spec.template.spec.containers[0]!.volumeMounts.find((m) => m.mountPath === dir);
    const volume = webhook.spec.template.spec.volumes.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe("compliance-recorder-api-tokens");
    expect(volume?.secret?.items).toEqual([{ key: file, path: file }]);
    const tokens = named<Manifest & { stringData: Record<string, string> }>("Secret", "compliance-recorder-api-tokens");
    expect(tokens.stringData[file]).toMatch(/role: admin/);
  });

  it("routes the Service to the webhook's http port", () => {
    const service = named<Manifest & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>(
      "Service",
      "compliance-recorder-webhook",
    );
    const webhook = named<Deployment>("Deployment", "compliance-recorder-webhook");
    expect(webhook.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(["http"]);
  });

  it("gives a configuration the app accepts in production: every required variable is there", () => {
    const env = { ...configMap().data, ...secret().stringData };
    const config = loadConfig(env);
    expect(config.NODE_ENV).toBe("production");
    expect(config.ACS_LOCAL_SIMULATOR_URL).toBeUndefined();
    // Removing any one of these makes the app refuse to start: they are really required, and really provided.
    for (const name of [
      "PUBLIC_BASE_URL",
      "ACS_CONNECTION_STRING",
      "ACS_RESOURCE_ID",
      "REDIS_URL",
      "BLOB_CONNECTION_STRING",
      "EVENTGRID_SECRET",
    ]) {
      expect(() => loadConfig({ ...env, [name]: undefined }), name).toThrow(name);
    }
  });

  it("scrapes the webhook's metrics on its ops port, which the Service (and so the ingress) does not route", () => {
    const webhook = named<Deployment & { spec: { template: { metadata: { annotations: Record<string, string> } } } }>(
      "Deployment",
      "compliance-recorder-webhook",
    );
    const ops = webhook.spec.template.spec.containers[0]!.ports.find((p) => p.name === "ops");
    expect(String(ops?.containerPort)).toBe(configMap().data.OPS_PORT);
    expect(webhook.spec.template.metadata.annotations["prometheus.io/port"]).toBe(configMap().data.OPS_PORT);
    const service = named<Manifest & { spec: { ports: { targetPort: string }[] } }>(
      "Service",
      "compliance-recorder-webhook",
    );
    expect(service.spec.ports.map((p) => p.targetPort)).not.toContain("ops");
    expect(loadConfig({ ...configMap().data, ...secret().stringData }).TRUST_PROXY).toBe(1);
  });

  it("carries everything the app reads from POLICY_DIR in the flat policies ConfigMap: scorecards, directories, consent data", async () => {
    // `kubectl create configmap compliance-recorder-policies --from-file=policies/` takes the directory's regular
    // files and no subfolder; mounted, each key is a file of POLICY_DIR. Build that mount from policies/ and load it.
    expect(configMap().data.POLICY_DIR).toBe("/etc/recorder/policies");
    const entries = await readdir("policies", { withFileTypes: true });
    expect(
      entries.filter((e) => !e.isFile()).map((e) => e.name),
      "policies/ has a subfolder the ConfigMap would leave out",
    ).toEqual([]);
    const mounted = await mkdtemp(join(tmpdir(), "policies-configmap-"));
    try {
      for (const entry of entries.filter((e) => e.isFile()))
        await copyFile(join("policies", entry.name), join(mounted, entry.name));
      const { policies, jurisdictions } = await loadPolicySet(mounted);
      const teams = policies.map((p) => p.team.id);
      expect(teams).toEqual(["customer-support", "legal", "trading-desk"]);
      expect(jurisdictions).not.toBeNull();
      expect([...(await loadScorecards(mounted)).keys()].sort()).toEqual(teams);
      expect((await loadDirectories(mounted)).map((d) => d.team).sort()).toEqual(teams);
    } finally {
      await rm(mounted, { recursive: true, force: true });
    }
  });

  it("keeps secrets out of the ConfigMap", () => {
    const secretNames = ["ACS_CONNECTION_STRING", "REDIS_URL", "BLOB_CONNECTION_STRING", "EVENTGRID_SECRET"];
    for (const name of secretNames) expect(configMap().data[name], name).toBeUndefined();
  });
});
