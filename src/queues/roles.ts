import { QueueName } from "./names.js";

/**
 * What a worker process runs (WORKER_ROLE, docs/operations.md "Worker roles"): `control` — the intake outbox
 * relay, call events and recording control (the path to a recording) and nothing else; `ingest` — archiving
 * recording chunks; `retrieval` — evidence exports; `operations` — the periodic jobs (deadline and gap sweeps, the
 * storage probe, evidence checkpoints, reconciliation, the review queue's filling). `all` (the default) is every
 * role, for `npm start` and small installs.
 */
export const WORKER_ROLES = ["control", "ingest", "retrieval", "operations"] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/**
 * The role that serves each queue. A job kind's role is its queue's (`roleOfQueue(kind.queue)`): a new kind gets
 * one by naming its queue, and a new queue does not compile until it is given a role here.
 */
export const QUEUE_ROLE: Readonly<Record<QueueName, WorkerRole>> = {
  [QueueName.callEvents]: "control",
  [QueueName.control]: "control",
  [QueueName.ingest]: "ingest",
  [QueueName.export]: "retrieval",
  [QueueName.operations]: "operations",
};

export function roleOfQueue(queue: QueueName): WorkerRole {
  return QUEUE_ROLE[queue];
}

/** The queues a process with these roles runs, in QueueName order. */
export function queuesOfRoles(roles: readonly WorkerRole[]): QueueName[] {
  return Object.values(QueueName).filter((queue) => roles.includes(QUEUE_ROLE[queue]));
}

/**
 * WORKER_ROLE's value: `all`, one role, or several separated by commas (`control,retrieval`); undefined when it
 * names anything else. Returned in WORKER_ROLES order, each once.
 */
export function parseWorkerRoles(text: string): WorkerRole[] | undefined {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) return undefined;
  if (names.includes("all")) return names.every((name) => name === "all") ? [...WORKER_ROLES] : undefined;
  if (!names.every((name): name is WorkerRole => (WORKER_ROLES as readonly string[]).includes(name))) return undefined;
  return WORKER_ROLES.filter((role) => names.includes(role));
}

/** How roles are written in logs, heartbeats and metrics: `all` when a process has every role. */
export function rolesLabel(roles: readonly WorkerRole[]): string {
  return WORKER_ROLES.every((role) => roles.includes(role)) ? "all" : roles.join(",");
}
