/** Queue names, defined once. */
export const QueueName = {
  callEvents: "call-events",
  control: "control",
  ingest: "ingest",
  /** Evidence exports: long-running, kept apart so they never hold up ingest. */
  export: "export",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
