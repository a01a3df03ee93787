export {
  createRedisSessionStore,
  type CallSession,
  type OnceStep,
  type PauseState,
  type RecordingStop,
  type SessionStore,
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
export { DEFAULT_START_WITHIN_SECONDS, incomingCallAction, rejectsUnrecordableCalls } from "./enforcement.js";
export { isPlaceholderStart, microsOf, type RecordingUpdate } from "./recording-state.js";
