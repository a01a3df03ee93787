/** Queue names, defined once. */
export const QueueName = {
  callEvents: "call-events",
  control: "control",
  ingest: "ingest",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
