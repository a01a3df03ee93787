// Fault injection: scripted misbehaviour of any signed operation (ACS REST or storage), consumed in order.
// Faults are matched after the signature is verified and the route is known, so a fault never hides an
// authentication error, and apply to the operation named in the request log.
import { Readable, Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { Reply } from "./http.js";
import type { Operation } from "./types.js";

const operations = [
  "connect",
  "answer",
  "reject",
  "getCall",
  "hangUp",
  "terminate",
  "listParticipants",
  "startRecording",
  "getRecording",
  "pauseRecording",
  "resumeRecording",
  "stopRecording",
  "download",
  "delete",
  "play",
] as const satisfies readonly Operation[];

/** Operations that cause a RecordingStateChanged (the ones a delay-state-event fault can hold back). */
const stateChangingOperations: readonly Operation[] = [
  "startRecording",
  "pauseRecording",
  "resumeRecording",
  "stopRecording",
];

export const faultSpec = z
  .object({
    /** The operation it applies to (as in the request log). */
    target: z.enum(operations),
    kind: z.enum([
      "drop-mid-body",
      "status",
      "latency",
      "empty-body",
      "html-body",
      "start-recording-failed",
      "delay-state-event",
    ]),
    /** How many matching requests it applies to (default 1). */
    times: z.number().int().min(1).default(1),
    /** drop-mid-body: bytes of the body sent before the connection is destroyed (default 0). */
    afterBytes: z.number().int().min(0).optional(),
    /** status: the HTTP status to answer (with the API's usual error body). */
    status: z.number().int().min(400).max(599).optional(),
    /** status: a `Retry-After` header in seconds. */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** latency: delay before the request is handled; delay-state-event: how long the state event is held back. */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** Only requests whose path contains this text, e.g. a documentId or "/content/acsmetadata". */
    pathIncludes: z.string().min(1).optional(),
  })
  .refine((f) => f.kind !== "status" || f.status !== undefined, { message: "status: required for kind status" })
  .refine((f) => f.kind !== "start-recording-failed" || f.target === "startRecording", {
    message: "target: start-recording-failed applies to startRecording only",
  })
  .refine((f) => f.kind !== "delay-state-event" || stateChangingOperations.includes(f.target), {
    message: "target: delay-state-event applies to startRecording, pauseRecording, resumeRecording, stopRecording",
  });

export type FaultSpec = z.input<typeof faultSpec>;
export type Fault = z.output<typeof faultSpec> & { id: number };

export interface FaultView extends Fault {
  /** Matching requests it still applies to. */
  remaining: number;
}

export const HTML_ERROR_PAGE =
  "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>";

export class FaultPlan {
  private readonly pending: FaultView[] = [];
  private nextId = 1;

  add(spec: FaultSpec): FaultView {
    const parsed = faultSpec.parse(spec);
    const fault: FaultView = { ...parsed, id: this.nextId++, remaining: parsed.times };
    this.pending.push(fault);
    return { ...fault };
  }

  list(): FaultView[] {
    return this.pending.map((f) => ({ ...f }));
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The first fault matching the request, consumed once; undefined when none applies. */
  take(operation: Operation, path: string): Fault | undefined {
    const index = this.pending.findIndex(
      (f) => f.target === operation && (f.pathIncludes === undefined || path.includes(f.pathIncludes)),
    );
    const fault = this.pending[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.pending.splice(index, 1);
    const { remaining: _remaining, ...rest } = fault;
    return rest;
  }
}

/** Runs before the handler: a latency fault waits, a replacing fault answers instead of the handler. */
export async function faultBefore(
  fault: Fault,
  errorReply: (status: number, code: string, message: string) => Reply,
): Promise<Reply | undefined> {
  switch (fault.kind) {
    case "latency":
      await sleep(fault.latencyMs ?? 1000);
      return undefined;
    case "status": {
      const status = fault.status ?? 500;
      const reply = errorReply(status, status === 429 ? "TooManyRequests" : "Injected", `injected fault ${status}`);
      return fault.retryAfterSeconds === undefined
        ? reply
        : { ...reply, headers: { ...reply.headers, "retry-after": String(fault.retryAfterSeconds) } };
    }
    case "empty-body":
      return {
        status: 200,
        headers: { "content-type": "application/octet-stream" },
        stream: { body: Readable.from([]), length: 0 },
      };
    case "html-body": {
      const page = Buffer.from(HTML_ERROR_PAGE);
      return {
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
        stream: { body: Readable.from([page]), length: page.length },
      };
    }
    case "drop-mid-body":
    case "start-recording-failed": // these two the handler sees on the request (SimRequest.fault) and carries out
    case "delay-state-event":
      return undefined;
  }
}

/** Runs after the handler: a drop fault lets `afterBytes` of the body through, then breaks the connection. */
export function faultAfter(fault: Fault, reply: Reply): Reply {
  if (fault.kind !== "drop-mid-body" || !reply.stream) return reply;
  const source = reply.stream.body;
  let left = fault.afterBytes ?? 0;
  const cut = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.length < left) {
        left -= chunk.length;
        return callback(null, chunk);
      }
      this.push(chunk.subarray(0, left));
      // Hold the callback (the source backs up) and give the bytes before the cut time to reach the socket;
      // then the error makes the reply's pipeline destroy the connection, and the client sees a body
      // shorter than its Content-Length.
      setTimeout(() => callback(new Error("injected fault: connection dropped mid-body")), 50);
    },
  });
  cut.once("close", () => source.destroy());
  return { ...reply, stream: { ...reply.stream, body: source.pipe(cut) } };
}
