import type { CallAutomationClient } from "@azure/communication-call-automation";
import type { ContainerClient } from "@azure/storage-blob";
import type { Logger } from "../src/log.js";
import type { TeamPolicy } from "../src/policy/index.js";
import type { Queues } from "../src/queues/index.js";
import type { SessionStore } from "../src/sessions/index.js";

/** Everything a job's `perform` may touch: adapters passed in at the edge, so tests can wire real or fake ones. */
export interface WorkerDependencies {
  logger: Logger;
  sessions: SessionStore;
  queues: Queues;
  policies: () => readonly TeamPolicy[];
  acs: CallAutomationClient;
  container: ContainerClient;
  /** Where ACS posts mid-call events for connections we make: `${PUBLIC_BASE_URL}/api/callbacks`. */
  callbackUri: string;
}
