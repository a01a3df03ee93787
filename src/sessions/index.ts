export {
  type AnnouncementPlay,
  createRedisSessionStore,
  type CallSession,
  type OnceStep,
  type PauseState,
  type RecordingStop,
  type SessionStore,
  type UnarchivedParty,
} from "./store.js";
export {
  FACT_RULES,
  NO_FACTS,
  factWritesOf,
  mergeFacts,
  type FactRule,
  type FactUpdate,
  type KnownFacts,
} from "./facts.js";
export {
  describeConsent,
  parseConsentFact,
  type ConsentAnswer,
  type ConsentAsked,
  type ConsentDecider,
  type ConsentEvidence,
  type ConsentFallback,
  type SpokenMessage,
} from "./consent.js";
export { countActiveRecordings } from "./active-recordings.js";
export {
  DEFAULT_START_WITHIN_SECONDS,
  incomingCallAction,
  recordingStoppedAction,
  rejectsUnrecordableCalls,
  startDeadlineAction,
  startFailedAction,
} from "./enforcement.js";
export { isPlaceholderStart, microsOf, needsAcsCheck, type RecordingUpdate } from "./recording-state.js";
export { type RingContexts, contextOf, createRingContexts, withContextsKeptApart } from "./ring-context.js";
