// A stand-in for the ACS REST API that answers the app's requests with the recorded real responses
// (test/fixtures/recorded/rest.ts) and sends no callbacks: the callbacks a test posts are the recorded ones.
// It records every request, so a test can tell what the app asked of ACS (and what it should not have).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startStopRecordingRest, type CallIds, type RecordedExchange } from "../fixtures/recorded/index.js";

export interface AcsCall {
  ids: CallIds;
  /** The call connection id the connect request returns: ours. */
  ourLeg: string;
  recordingId: string;
  /** What GET /calling/recordings/{id} answers: the recording's real state. */
  recordingState: "active" | "inactive";
}

export interface AcsRequest {
  operation:
    | "connect"
    | "startRecording"
    | "getRecording"
    | "pauseRecording"
    | "resumeRecording"
    | "stopRecording"
    | "play"
    | "hangUp"
    | "terminate"
    | "getCall"
    | "unknown";
  method: string;
  path: string;
  body: unknown;
  /** The call the request was about, when known. */
  serverCallId: string | undefined;
  /** The call connection a connection-scoped request named. */
  callConnectionId?: string;
}

export interface RecordedAcs {
  url: string;
  /** A connection string for the app's ACS client (any key: signatures are not checked here). */
  connectionString: string;
  register(call: AcsCall): void;
  requests(serverCallId?: string): AcsRequest[];
  close(): Promise<void>;
}

const ACCESS_KEY = Buffer.from("recorded-acs-is-not-checked").toString("base64");

export async function startRecordedAcs(): Promise<RecordedAcs> {
  const calls = new Map<string, AcsCall>();
  const byLeg = new Map<string, AcsCall>();
  const byRecording = new Map<string, AcsCall>();
  const log: AcsRequest[] = [];

  const recorded = (call: AcsCall, operation: RecordedExchange["operation"], callbackUri = "") => {
    const exchange = startStopRecordingRest.exchanges(call.ids, callbackUri).find((e) => e.operation === operation);
    if (!exchange) throw new Error(`no recorded ${operation}`);
    return exchange;
  };

  const handle = (req: IncomingMessage, body: unknown): { status: number; json?: unknown; entry: AcsRequest } => {
    const url = new URL(req.url ?? "/", "http://acs");
    const path = url.pathname;
    const method = req.method ?? "";
    const entry: AcsRequest = { operation: "unknown", method, path, body, serverCallId: undefined };
    const json = body as Record<string, unknown> | undefined;
    let m: RegExpExecArray | null;
    if (method === "POST" && path === "/calling/callConnections:connect") {
      entry.operation = "connect";
      const locator = json?.callLocator as { serverCallId?: string } | undefined;
      const call = calls.get(locator?.serverCallId ?? "");
      if (!call) return { status: 404, json: callNotFound(), entry };
      entry.serverCallId = call.ids.serverCallId;
      const callbackUri = String(json?.callbackUri ?? "");
      // No recording connects by serverCallId: the recorded GET form, for our leg, still connecting.
      const { responseBody } = recorded(call, "getCall", callbackUri);
      return {
        status: 200,
        json: {
          ...(responseBody as object),
          callConnectionId: call.ourLeg,
          callConnectionState: "connecting",
        },
        entry,
      };
    }
    if (method === "POST" && path === "/calling/recordings") {
      entry.operation = "startRecording";
      const locator = json?.callLocator as { serverCallId?: string } | undefined;
      const call = calls.get(locator?.serverCallId ?? "") ?? byLeg.get(String(json?.callConnectionId ?? ""));
      if (!call) return { status: 404, json: callNotFound(), entry };
      entry.serverCallId = call.ids.serverCallId;
      const { status, responseBody } = recorded(call, "startRecording");
      return { status, json: { ...(responseBody as object), recordingId: call.recordingId }, entry };
    }
    if ((m = /^\/calling\/recordings\/([^/:]+)(:pause|:resume)?$/.exec(path))) {
      const call = byRecording.get(decodeURIComponent(m[1] ?? ""));
      entry.serverCallId = call?.ids.serverCallId;
      if (!call) return { status: 404, json: callNotFound(), entry };
      if (method === "GET") {
        entry.operation = "getRecording";
        const { responseBody } = recorded(call, "getRecording");
        return {
          status: 200,
          json: { ...(responseBody as object), recordingId: call.recordingId, recordingState: call.recordingState },
          entry,
        };
      }
      if (method === "DELETE") {
        entry.operation = "stopRecording";
        return { status: 204, entry };
      }
      entry.operation = m[2] === ":pause" ? "pauseRecording" : "resumeRecording";
      return { status: 202, entry };
    }
    if ((m = /^\/calling\/callConnections\/([^/:]+)(:play|:terminate)?$/.exec(path))) {
      const callConnectionId = decodeURIComponent(m[1] ?? "");
      const call = byLeg.get(callConnectionId);
      entry.callConnectionId = callConnectionId;
      entry.serverCallId = call?.ids.serverCallId;
      if (!call) return { status: 404, json: callNotFound(), entry };
      if (m[2] === ":play") {
        entry.operation = "play";
        return { status: 202, entry };
      }
      if (m[2] === ":terminate") {
        entry.operation = "terminate";
        return { status: 204, entry };
      }
      if (method === "DELETE") {
        entry.operation = "hangUp";
        return { status: 204, entry };
      }
      entry.operation = "getCall";
      return { status: 200, json: recorded(call, "getCall").responseBody, entry };
    }
    return { status: 404, json: callNotFound(), entry };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const { status, json, entry } = handle(req, body);
      log.push(entry);
      if (json === undefined) {
        res.writeHead(status, { "content-length": "0" }).end();
        return;
      }
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connectionString: `endpoint=${url}/;accesskey=${ACCESS_KEY}`,
    register(call) {
      calls.set(call.ids.serverCallId, call);
      for (const leg of Object.values(call.ids.legs)) byLeg.set(leg, call);
      byRecording.set(call.recordingId, call);
    },
    requests: (serverCallId) => log.filter((r) => serverCallId === undefined || r.serverCallId === serverCallId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function callNotFound() {
  return { error: { code: "8522", message: "Call not found" } };
}
