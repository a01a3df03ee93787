// /calling/callConnections*: connect, answer, reject, get, hang up, terminate, participants, play, recognize
// (docs/acs-payloads.md "REST calls the SDK makes"; success statuses are exactly the SDK's).
import * as calls from "../calls.js";
import { AcsError, callNotFound } from "../errors.js";
import type { Reply, SimRequest } from "../http.js";
import { identifierFromRawId, rawIdOf } from "../identifiers.js";
import type { Call, Connection } from "../model.js";
import type { Route } from "../router.js";
import { cancelAll, recognize } from "../recognize.js";
import { answerRequest, connectRequest, playRequest, recognizeRequest, rejectRequest } from "../schemas.js";
import type { SimState } from "../state.js";
import { parseBody } from "./parse.js";

const ID = "([^/:]+)";

/**
 * A connection's properties as each response carries them. The answer and GET forms are the recorded ones
 * (docs/acs-payloads.md ("Recorded live sessions")): answer has answeredBy and the media streaming subscription with its id, GET has
 * sourceDisplayName and the transcription subscription. The connect form is unconfirmed (no recording has one).
 */
function properties(call: Call, conn: Connection, response: "answer" | "get" | "connect") {
  const answered = conn.madeBy === "answer";
  const base = {
    callConnectionId: conn.callConnectionId,
    serverCallId: call.serverCallId,
    targets: answered ? [identifierFromRawId(call.to)] : [],
    callConnectionState: conn.state,
    callbackUri: conn.callbackUri,
  };
  const source = answered ? { source: identifierFromRawId(call.from) } : {};
  const transcriptionSubscription = { state: "disabled", subscribedResultTypes: [] };
  switch (response) {
    case "answer":
      return {
        ...base,
        ...source,
        correlationId: call.correlationId,
        ...(conn.answeredBy ? { answeredBy: { id: conn.answeredBy } } : {}),
        mediaStreamingSubscription: {
          id: conn.mediaSubscriptionId,
          state: "disabled",
          subscribedContentTypes: ["audio"],
        },
      };
    case "get":
      return {
        ...base,
        sourceDisplayName: "",
        ...source,
        correlationId: call.correlationId,
        mediaStreamingSubscription: { state: "disabled" },
        transcriptionSubscription,
      };
    case "connect":
      return {
        ...base,
        correlationId: call.correlationId,
        mediaStreamingSubscription: { state: "disabled" },
        transcriptionSubscription,
      };
  }
}

function traced(req: SimRequest, call: Call): Call {
  req.trace.serverCallId = call.serverCallId;
  req.trace.correlationId = call.correlationId;
  return call;
}

function participant(rawId: string) {
  return { identifier: identifierFromRawId(rawId), isMuted: false, isOnHold: false };
}

export function callConnectionRoutes(s: SimState): Route[] {
  const live = (req: SimRequest) => {
    const found = calls.findConnection(s, req.params[0] ?? "");
    traced(req, found.call);
    return found;
  };
  return [
    {
      method: "POST",
      pattern: /^\/calling\/callConnections:connect$/,
      kind: "acs",
      operation: "connect",
      repeatable: true,
      handle(req): Reply {
        const body = parseBody(connectRequest, req);
        const locator = body.callLocator;
        const serverCallId = locator.serverCallId;
        // Group and room calls are not simulated: such locators find no call.
        if (!serverCallId || (locator.kind && locator.kind !== "serverCallLocator")) throw callNotFound();
        req.trace.serverCallId = serverCallId;
        const { call, conn } = calls.connect(s, serverCallId, body.callbackUri, body.operationContext);
        return { status: 200, json: properties(traced(req, call), conn, "connect") };
      },
    },
    {
      method: "POST",
      pattern: /^\/calling\/callConnections:answer$/,
      kind: "acs",
      operation: "answer",
      repeatable: true,
      // Recorded: answer and reject carry no Repeatability-Result (startRecording and terminate do).
      repeatabilityResult: false,
      handle(req): Reply {
        const body = parseBody(answerRequest, req);
        const { call, conn } = calls.answer(
          s,
          body.incomingCallContext,
          body.callbackUri,
          body.operationContext,
          body.answeredBy?.id,
        );
        return { status: 200, json: properties(traced(req, call), conn, "answer") };
      },
    },
    {
      method: "POST",
      pattern: /^\/calling\/callConnections:reject$/,
      kind: "acs",
      operation: "reject",
      repeatable: true,
      repeatabilityResult: false,
      handle(req): Reply {
        const body = parseBody(rejectRequest, req);
        traced(req, calls.reject(s, body.incomingCallContext, body.callRejectReason ?? "none"));
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/calling/callConnections/${ID}$`),
      kind: "acs",
      operation: "getCall",
      handle(req): Reply {
        const { call, conn } = live(req);
        return { status: 200, json: properties(call, conn, "get") };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/calling/callConnections/${ID}$`),
      kind: "acs",
      operation: "hangUp",
      handle(req): Reply {
        const { call, conn } = live(req);
        calls.hangUp(s, call, conn);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/callConnections/${ID}:terminate$`),
      kind: "acs",
      operation: "terminate",
      repeatable: true,
      handle(req): Reply {
        const { call, conn } = live(req);
        calls.terminate(s, call, conn);
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/calling/callConnections/${ID}/participants$`),
      kind: "acs",
      operation: "listParticipants",
      handle(req): Reply {
        const { call, conn } = live(req);
        const size = s.opts.participantsPageSize;
        // nextLink follow-ups arrive without api-version (docs/acs-payloads.md "REST calls the SDK makes"): only skipToken matters here.
        const skip = Number(req.url.searchParams.get("skipToken") ?? "0");
        if (!Number.isSafeInteger(skip) || skip < 0) throw new AcsError(400, "8523", "Invalid request: skipToken.");
        const page = call.participants.slice(skip, skip + size).map((p) => participant(p.rawId));
        const more = skip + size < call.participants.length;
        const nextLink = `/calling/callConnections/${encodeURIComponent(conn.callConnectionId)}/participants?skipToken=${skip + size}`;
        return { status: 200, json: more ? { value: page, nextLink } : { value: page } };
      },
    },
    {
      // getParticipant; logged under listParticipants (the operation names are a fixed contract).
      method: "GET",
      pattern: new RegExp(`^/calling/callConnections/${ID}/participants/([^/]+)$`),
      kind: "acs",
      operation: "listParticipants",
      handle(req): Reply {
        const { call } = live(req);
        const rawId = req.params[1] ?? "";
        if (!call.participants.some((p) => p.rawId === rawId)) {
          throw new AcsError(404, "8522", "Participant not found"); // code unconfirmed
        }
        return { status: 200, json: participant(rawId) };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/callConnections/${ID}:play$`),
      kind: "acs",
      operation: "play",
      handle(req): Reply {
        const { call, conn } = live(req);
        const body = parseBody(playRequest, req);
        const playTo = (body.playTo ?? []).map((model) => rawIdOf(model) ?? "");
        calls.play(s, call, conn, body.operationContext, body.operationCallbackUri, playTo);
        return { status: 202 };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/callConnections/${ID}:recognize$`),
      kind: "acs",
      operation: "recognize",
      handle(req): Reply {
        const { call, conn } = live(req);
        recognize(s, call, conn, parseBody(recognizeRequest, req));
        return { status: 202 };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/callConnections/${ID}:cancelAllMediaOperations$`),
      kind: "acs",
      operation: "cancelAllMediaOperations",
      handle(req): Reply {
        const { call, conn } = live(req);
        cancelAll(call, conn);
        return { status: 202 };
      },
    },
  ];
}
