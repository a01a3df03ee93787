export { createCallAutomationClient, isAllowedRecordingUrl } from "./client.js";
export { rawIdOf, identifierFromRawId } from "./identifiers.js";
