import type { FileSource, TextSource } from "@azure/communication-call-automation";
import { playAnnouncement, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/** The operationContext that marks our announcement's PlayCompleted / PlayFailed callbacks. */
export const ANNOUNCEMENT_CONTEXT = "recording-announcement";

/** Plays the policy's recording announcement to everyone on the call; the outcome arrives as a callback. */
async function perform(deps: JobDependencies<"acs" | "sessions">, payload: PayloadOf<"play-announcement">) {
  const { serverCallId, correlationId, callConnectionId, announcement, notice } = payload;
  // The notice a jurisdiction requires before recording: on record before it is played (keep-first: a retry keeps the first).
  if (notice)
    await deps.sessions.addFacts(serverCallId, {
      consentAsked: JSON.stringify({ ...notice, at: new Date().toISOString() }),
    });
  const source: FileSource | TextSource =
    "audioUrl" in announcement
      ? { kind: "fileSource", url: announcement.audioUrl }
      : {
          kind: "textSource",
          text: announcement.text,
          ...(announcement.locale ? { sourceLocale: announcement.locale } : {}),
        };
  try {
    await deps.acs.getCallConnection(callConnectionId).getCallMedia().playToAll([source], {
      operationContext: ANNOUNCEMENT_CONTEXT,
    });
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "play announcement");
  }
  await deps.sessions.setAnnouncement(serverCallId, { status: "requested" });
  deps.logger.info({ serverCallId, correlationId }, "recording announcement requested");
}

export const playAnnouncementJob = defineJob(playAnnouncement, { needs: ["acs", "sessions"], perform });
