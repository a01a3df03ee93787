export { QueueName, queueKeyPrefix } from "./names.js";
export { defineJobKind, jobIdFor, Priority, type JobKind, type JobKindOptions, type PayloadOfKind } from "./kind.js";
export * from "./kinds/index.js";
export { createQueues, type EnqueueOptions, type QueuedJob, type Queues } from "./queues.js";
export {
  parseWorkerRoles,
  QUEUE_ROLE,
  queuesOfRoles,
  roleOfQueue,
  rolesLabel,
  WORKER_ROLES,
  type WorkerRole,
} from "./roles.js";
