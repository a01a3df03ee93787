export { type ReplayReport, replayDeadLetters, webhookDeliverer } from "./replay.js";
