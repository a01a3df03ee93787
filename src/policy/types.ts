export type RecordingContent = "audio" | "audioVideo";
export type RecordingChannel = "mixed" | "unmixed";
export type RecordingFormat = "wav" | "mp3" | "mp4";
export type RecordingMode = "required" | "best-effort" | "never";

export interface RecordingOptions {
  content: RecordingContent;
  channel: RecordingChannel;
  format: RecordingFormat;
  pauseOnStart: boolean;
}

export interface PolicyRule {
  id: string;
  mode: RecordingMode;
  recording: RecordingOptions;
}

/** One team's policy file as loaded: its content hash is what every decision cites. */
export interface TeamPolicy {
  file: string;
  hash: string;
  team: { id: string; name: string };
  /** ACS raw ids (e.g. `8:acs:…`) and E.164 numbers (`+14255550100`). */
  members: string[];
  rules: PolicyRule[];
}

/** What we know of a call when deciding; identities are raw ids (`8:acs:…`, `4:+1…`, `8:orgid:…`). */
export interface CallFacts {
  /** Every participant known so far, caller and callee included. */
  participants: string[];
  /** Who placed the call and whom it was for (IncomingCall `from` / `to`), when known. */
  caller?: string | undefined;
  callee?: string | undefined;
  /** When the call started (ISO 8601, from CallStarted or IncomingCall); time windows are judged on it. */
  at?: string | undefined;
}

export interface DecisionSource {
  teamId: string;
  ruleId: string;
  policyFile: string;
  policyHash: string;
}

export type Decision =
  | ({ record: true; mode: Exclude<RecordingMode, "never">; recording: RecordingOptions; explanation: string } & DecisionSource)
  | ({ record: false; reason: "rule"; explanation: string } & DecisionSource)
  | { record: false; reason: "no-team-member"; explanation: string };
