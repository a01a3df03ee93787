export {
  createRedisSessionStore,
  type CallSession,
  type OnceStep,
  type PauseState,
  type SessionStore,
} from "./store.js";
