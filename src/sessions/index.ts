export { createRedisSessionStore, type CallSession, type OnceStep, type SessionStore } from "./store.js";
export { dueActions } from "./transitions.js";
