export {
  createRedisSessionStore,
  type CallSession,
  type OnceStep,
  type PauseState,
  type SessionStore,
} from "./store.js";
export { dueActions } from "./transitions.js";
export { countActiveRecordings } from "./active-recordings.js";
export {
  DEFAULT_START_WITHIN_SECONDS,
  incomingCallAction,
  recordingStoppedAction,
  rejectsUnrecordableCalls,
  startDeadlineAction,
  startFailedAction,
} from "./enforcement.js";
export { isPlaceholderStart, microsOf, needsAcsCheck } from "./recording-state.js";
export { type RingContexts, contextOf, createRingContexts, withContextsKeptApart } from "./ring-context.js";
