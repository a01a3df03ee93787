import { describe, expect, it } from "vitest";
import { jobKinds, QueueName } from "../src/queues/index.js";
import { workerJobs } from "./registry.js";

describe("the periodic jobs' queue", () => {
  it("keeps every periodic job off the control queue: none holds a control worker while a call waits", () => {
    const periodic = Object.values(workerJobs)
      .filter((job) => job.schedule !== undefined)
      .map((job) => [job.kind.name, job.kind.queue]);
    expect(periodic.sort()).toEqual(
      [
        ["checkpoint-evidence", QueueName.operations],
        ["fill-review-queue", QueueName.operations],
        ["probe-storage", QueueName.operations],
        ["reconcile-calls", QueueName.operations],
        ["sweep-gaps", QueueName.operations],
        ["sweep-ingest-deadlines", QueueName.operations],
      ].sort(),
    );
    // And the operations queue holds nothing else: it serves no call as it happens.
    const onOperations = Object.values(jobKinds).filter((kind) => kind.queue === QueueName.operations);
    expect(onOperations.map((kind) => kind.name).sort()).toEqual(periodic.map(([name]) => name).sort());
  });
});
