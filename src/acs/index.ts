export { createCallAutomationClient, isAllowedRecordingUrl } from "./client.js";
export { rawIdOf, identifierFromRawId } from "./identifiers.js";
export { type AcsErrorMeaning, classifyAcsError } from "./errors.js";
