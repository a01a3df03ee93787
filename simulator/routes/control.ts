// The simulator's own control API (unsigned), for scripts and processes that cannot call it in-process.
import type { Reply } from "../http.js";
import type { Route } from "../router.js";
import { faultSpec } from "../faults.js";
import {
  addParticipantRequest,
  describeIssue,
  eventGridSubscriptionRequest,
  placeCallRequest,
  recognizeAnswerRequest,
} from "../schemas.js";
import type { RunningSimulator } from "../types.js";

type Controls = Pick<
  RunningSimulator,
  | "placeCall"
  | "endCall"
  | "addParticipant"
  | "removeParticipant"
  | "scriptRecognizeAnswer"
  | "getCall"
  | "requests"
  | "setEventGridSubscription"
  | "addFault"
  | "faults"
  | "clearFaults"
>;

const bad = (message: string): Reply => ({ status: 400, json: { error: "BadRequest", message } });
const conflict = (message: string): Reply => ({ status: 409, json: { error: "Conflict", message } });
const notFound = (message: string): Reply => ({ status: 404, json: { error: "NotFound", message } });

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

export function controlRoutes(c: Controls): Route[] {
  return [
    {
      method: "POST",
      pattern: /^\/simulator\/calls$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const json = parseJson(req.body);
        if (!json.ok) return bad("body: not valid JSON");
        const parsed = placeCallRequest.safeParse(json.value);
        if (!parsed.success) return bad(describeIssue(parsed.error));
        return { status: 201, json: await c.placeCall(parsed.data) };
      },
    },
    {
      method: "POST",
      pattern: /^\/simulator\/calls\/([^/:]+):end$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const id = req.params[0] ?? "";
        if (!c.getCall(id)) return notFound(`serverCallId: no call ${id}`);
        await c.endCall(id);
        return { status: 202 };
      },
    },
    {
      method: "POST",
      pattern: /^\/simulator\/calls\/([^/:]+)\/participants$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const id = req.params[0] ?? "";
        const view = c.getCall(id);
        if (!view) return notFound(`serverCallId: no call ${id}`);
        const json = parseJson(req.body);
        if (!json.ok) return bad("body: not valid JSON");
        const parsed = addParticipantRequest.safeParse(json.value);
        if (!parsed.success) return bad(describeIssue(parsed.error));
        if (view.state !== "established") return conflict(`serverCallId: the call is ${view.state}, not established`);
        if (view.participants.includes(parsed.data.rawId)) return conflict(`rawId: already on the call`);
        await c.addParticipant(id, parsed.data.rawId);
        return { status: 202 };
      },
    },
    {
      // Someone leaves the call; the rawId is percent-encoded in the path.
      method: "DELETE",
      pattern: /^\/simulator\/calls\/([^/:]+)\/participants\/([^/]+)$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const id = req.params[0] ?? "";
        const rawId = req.params[1] ?? "";
        const view = c.getCall(id);
        if (!view) return notFound(`serverCallId: no call ${id}`);
        if (view.state !== "established") return conflict(`serverCallId: the call is ${view.state}, not established`);
        if (!view.participants.includes(rawId)) return conflict(`rawId: ${rawId} is not on the call`);
        await c.removeParticipant(id, rawId);
        return { status: 202 };
      },
    },
    {
      // What a participant answers the next recognize that targets them (consents, refuses, stays silent).
      method: "POST",
      pattern: /^\/simulator\/calls\/([^/:]+)\/recognize-answers$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const id = req.params[0] ?? "";
        if (!c.getCall(id)) return notFound(`serverCallId: no call ${id}`);
        const json = parseJson(req.body);
        if (!json.ok) return bad("body: not valid JSON");
        const parsed = recognizeAnswerRequest.safeParse(json.value);
        if (!parsed.success) return bad(describeIssue(parsed.error));
        await c.scriptRecognizeAnswer(id, parsed.data.rawId, parsed.data.answer);
        return { status: 201 };
      },
    },
    {
      method: "GET",
      pattern: /^\/simulator\/calls\/([^/:]+)$/,
      kind: "control",
      operation: "unknown",
      handle(req): Reply {
        const view = c.getCall(req.params[0] ?? "");
        return view ? { status: 200, json: view } : notFound(`serverCallId: no call ${req.params[0] ?? ""}`);
      },
    },
    {
      method: "GET",
      pattern: /^\/simulator\/requests$/,
      kind: "control",
      operation: "unknown",
      handle: () => ({ status: 200, json: c.requests() }),
    },
    {
      // One fault or an array of them, queued in order.
      method: "POST",
      pattern: /^\/simulator\/faults$/,
      kind: "control",
      operation: "unknown",
      handle(req): Reply {
        const json = parseJson(req.body);
        if (!json.ok) return bad("body: not valid JSON");
        const parsed = faultSpec.array().safeParse(Array.isArray(json.value) ? json.value : [json.value]);
        if (!parsed.success) return bad(describeIssue(parsed.error));
        return { status: 201, json: parsed.data.map((spec) => c.addFault(spec)) };
      },
    },
    {
      method: "GET",
      pattern: /^\/simulator\/faults$/,
      kind: "control",
      operation: "unknown",
      handle: () => ({ status: 200, json: c.faults() }),
    },
    {
      method: "DELETE",
      pattern: /^\/simulator\/faults$/,
      kind: "control",
      operation: "unknown",
      handle(): Reply {
        c.clearFaults();
        return { status: 204 };
      },
    },
    {
      method: "PUT",
      pattern: /^\/simulator\/eventgrid-subscription$/,
      kind: "control",
      operation: "unknown",
      async handle(req): Promise<Reply> {
        const json = parseJson(req.body);
        if (!json.ok) return bad("body: not valid JSON");
        const parsed = eventGridSubscriptionRequest.safeParse(json.value);
        if (!parsed.success) return bad(describeIssue(parsed.error));
        try {
          const { endpointUrl, schema } = parsed.data;
          await c.setEventGridSubscription(endpointUrl, schema ? { schema } : {});
        } catch (err) {
          return bad(err instanceof Error ? err.message : String(err));
        }
        return { status: 200, json: { endpointUrl: parsed.data.endpointUrl } };
      },
    },
    {
      // Asynchronous (manual) validation is not simulated: endpoints must answer the handshake in-band.
      method: "GET",
      pattern: /^\/simulator\/eventgrid\/validate$/,
      kind: "control",
      operation: "unknown",
      handle: () =>
        bad("asynchronous validation is not supported by the simulator; return the validationResponse in-band"),
    },
  ];
}
