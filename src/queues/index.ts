export { QueueName, queueKeyPrefix } from "./names.js";
export { jobDefinitions, type JobKinds, type JobName, type PayloadOf } from "./payloads.js";
export { createQueues, jobIdFor, type QueuedJob, type Queues } from "./queues.js";
