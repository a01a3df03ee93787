import { describe, expect, it } from "vitest";
import { jobKinds } from "./kinds/index.js";
import { QueueName } from "./names.js";
import { parseWorkerRoles, queuesOfRoles, roleOfQueue, rolesLabel, WORKER_ROLES } from "./roles.js";

describe("worker roles", () => {
  it.each([
    ["all", ["control", "ingest", "retrieval", "operations"]],
    ["control", ["control"]],
    ["ingest", ["ingest"]],
    ["retrieval, control", ["control", "retrieval"]],
    ["ingest,ingest", ["ingest"]],
    ["control,ingest,retrieval", ["control", "ingest", "retrieval"]],
    ["operations", ["operations"]],
    ["operations,ingest,retrieval", ["ingest", "retrieval", "operations"]],
    ["control,ingest,retrieval,operations", ["control", "ingest", "retrieval", "operations"]],
    ["operation", undefined],
    ["", undefined],
    ["controls", undefined],
    ["all,ingest", undefined],
    ["control,", ["control"]],
  ])("WORKER_ROLE=%j is %j", (text, roles) => {
    expect(parseWorkerRoles(text)).toEqual(roles);
  });

  it("runs each queue in exactly one role: call events and control with control, ingest, exports with retrieval, the periodic jobs with operations", () => {
    expect(queuesOfRoles(["control"])).toEqual([QueueName.callEvents, QueueName.control]);
    expect(queuesOfRoles(["ingest"])).toEqual([QueueName.ingest]);
    expect(queuesOfRoles(["retrieval"])).toEqual([QueueName.export]);
    expect(queuesOfRoles(["operations"])).toEqual([QueueName.operations]);
    expect(queuesOfRoles(["ingest", "retrieval", "operations"])).toEqual([
      QueueName.ingest,
      QueueName.export,
      QueueName.operations,
    ]);
    expect(queuesOfRoles([...WORKER_ROLES]).sort()).toEqual(Object.values(QueueName).sort());
    const perRole = WORKER_ROLES.flatMap((role) => queuesOfRoles([role]));
    expect(perRole.sort()).toEqual(Object.values(QueueName).sort());
  });

  it("gives every job kind the role of its queue: the path to a recording is control's, archiving ingest's", () => {
    const roleOf = (name: keyof typeof jobKinds) => roleOfQueue(jobKinds[name].queue);
    expect(roleOf("call-event")).toBe("control");
    expect(roleOf("connect-call")).toBe("control");
    expect(roleOf("start-recording")).toBe("control");
    expect(roleOf("ingest-chunk")).toBe("ingest");
    expect(roleOf("export-recordings")).toBe("retrieval");
    // The deadline sweep reorders the ingest backlog: it must not wait behind it, nor hold a control worker.
    expect(roleOf("sweep-ingest-deadlines")).toBe("operations");
    for (const kind of Object.values(jobKinds)) expect(WORKER_ROLES).toContain(roleOfQueue(kind.queue));
  });

  it("writes a process of every role as all", () => {
    expect(rolesLabel(["control", "ingest", "retrieval", "operations"])).toBe("all");
    expect(rolesLabel(["control", "ingest", "retrieval"])).toBe("control,ingest,retrieval");
    expect(rolesLabel(["control", "retrieval"])).toBe("control,retrieval");
  });
});
