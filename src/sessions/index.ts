export {
  createRedisSessionStore,
  type CallSession,
  type OnceStep,
  type PauseState,
  type SessionStore,
} from "./store.js";
export { dueActions } from "./transitions.js";
