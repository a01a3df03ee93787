/**
 * What `advance` (call-event.ts) uses: deciding, claiming and queueing steps, and the steps it runs itself on the
 * way to a recording (connect, start: `acs`, `callbackUri`, `correlation`). Every job that advances a call declares
 * these with its own. A module of its own so that the jobs that advance a call and are run by it (connect-call)
 * can be loaded in any order.
 */
export const advanceNeeds = [
  "sessions",
  "queues",
  "ringContexts",
  "policies",
  "policiesFor",
  "health",
  "healthSettings",
  "acs",
  "callbackUri",
  "correlation",
  "consentEnvironment",
] as const;
