// One request, start to end: body, route, signature, repeatability, handler, reply, request log.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AcsError } from "./errors.js";
import { verifySignature } from "./hmac.js";
import type { Reply, SimRequest } from "./http.js";
import { BodyTooLarge, header, readBody, writeReply } from "./http.js";
import { faultAfter, faultBefore, type FaultPlan } from "./faults.js";
import type { RepeatabilityCache } from "./repeatability.js";
import type { RequestLog } from "./request-log.js";
import type { Route, RouteKind } from "./router.js";
import { kindOfPath, matchRoute } from "./router.js";
import { storageError } from "./routes/storage.js";
import type { RequestLogEntry } from "./types.js";

const BODY_LIMIT = 4 * 1024 * 1024;

export interface AppDeps {
  routes: Route[];
  key: Buffer;
  requestLog: RequestLog;
  repeatability: RepeatabilityCache;
  faults: FaultPlan;
  log: (line: Record<string, unknown>) => void;
}

function errorReply(kind: RouteKind, status: number, code: string, message: string): Reply {
  if (kind === "storage") return storageError(status, message);
  if (kind === "control") return { status, json: { error: code, message } };
  return { status, json: { error: { code, message } } };
}

export function createHandler(deps: AppDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = new Date();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://simulator.invalid");
    const rawPath = url.pathname;
    const matched = matchRoute(deps.routes, method, rawPath);
    const kind = matched?.route.kind ?? kindOfPath(rawPath);
    const signed = kind === "acs" || kind === "storage";
    const sim: SimRequest = {
      method,
      url,
      rawPath,
      headers: req.headers,
      body: Buffer.alloc(0),
      params: matched?.params ?? [],
      trace: {},
    };
    let signatureValid = false;
    let fault: string | undefined;
    let reply: Reply;
    try {
      sim.body = await readBody(req, BODY_LIMIT);
      reply = await respond(
        deps,
        sim,
        kind,
        matched?.route,
        (valid) => (signatureValid = valid),
        (kind) => (fault = kind),
      );
    } catch (err) {
      reply =
        err instanceof BodyTooLarge
          ? errorReply(kind, 413, "RequestEntityTooLarge", err.message)
          : errorReply(kind, 500, "InternalServerError", "The simulator failed to handle the request.");
      if (!(err instanceof BodyTooLarge)) deps.log({ msg: "handler error", path: rawPath, error: String(err) });
    }
    if (signed) {
      const clientRequestId = header(req, "x-ms-client-request-id");
      reply = {
        ...reply,
        headers: {
          ...reply.headers,
          ...(clientRequestId ? { "x-ms-client-request-id": clientRequestId } : {}),
          ...(sim.trace.correlationId ? { "X-Microsoft-Skype-Chain-ID": sim.trace.correlationId } : {}),
        },
      };
      const entry: RequestLogEntry = {
        at: at.toISOString(),
        method,
        path: rawPath,
        operation: matched?.route.operation ?? "unknown",
        status: reply.status,
        signatureValid,
      };
      const repeatabilityRequestId = header(req, "repeatability-request-id");
      if (repeatabilityRequestId) entry.repeatabilityRequestId = repeatabilityRequestId;
      const range = header(req, "range");
      if (range) entry.range = range;
      if (fault) entry.fault = fault;
      if (sim.trace.serverCallId) entry.serverCallId = sim.trace.serverCallId;
      deps.requestLog.add(entry);
      deps.log({ msg: "request", ...entry });
    }
    await writeReply(res, reply, method);
  };
}

async function respond(
  deps: AppDeps,
  req: SimRequest,
  kind: RouteKind,
  route: Route | undefined,
  setSignatureValid: (valid: boolean) => void,
  setFault: (kind: string) => void,
): Promise<Reply> {
  if (kind === "acs" || kind === "storage") {
    const verdict = verifySignature(
      { method: req.method, url: req.url.pathname + req.url.search, headers: req.headers, body: req.body },
      deps.key,
    );
    setSignatureValid(verdict.ok);
    // A bad signature changes nothing, whatever the path.
    if (!verdict.ok) return errorReply(kind, 401, "Unauthorized", verdict.reason);
  }
  if (!route) {
    return errorReply(kind, 404, "NotFound", `No such resource: ${req.method} ${req.rawPath}`);
  }
  const fault = deps.faults.take(route.operation, req.rawPath);
  if (fault) {
    setFault(fault.kind);
    req.fault = fault;
    const replaced = await faultBefore(fault, (status, code, message) => errorReply(kind, status, code, message));
    if (replaced) return replaced;
  }
  const repeatId = route.repeatable ? header(req, "repeatability-request-id") : undefined;
  if (repeatId) {
    const earlier = deps.repeatability.get(route.operation, repeatId);
    if (earlier) {
      Object.assign(req.trace, earlier.trace);
      return earlier.reply;
    }
  }
  let reply: Reply;
  try {
    reply = await route.handle(req);
  } catch (err) {
    if (!(err instanceof AcsError)) throw err;
    return errorReply(kind, err.status, err.code, err.message);
  }
  if (fault) reply = faultAfter(fault, reply);
  if (repeatId && reply.status >= 200 && reply.status < 300) {
    if (route.repeatabilityResult !== false) {
      reply = { ...reply, headers: { ...reply.headers, "Repeatability-Result": "accepted" } };
    }
    deps.repeatability.remember(route.operation, repeatId, reply, req.trace);
  }
  return reply;
}
