// The ACS simulator: a local stand-in for Azure Communication Services Call Automation, its recording
// storage and its Event Grid / callback deliveries. See README.md.
export { startSimulator } from "./server.js";
export { asmStorageHttpClient } from "./storage-routing.js";
export { signRequest } from "./hmac.js";
export { HTML_ERROR_PAGE } from "./faults.js";
export { RECORDING_EVENT_FORMS } from "./state.js";
export type { FaultSpec, FaultView } from "./faults.js";
export type {
  CallView,
  ChunkView,
  ConnectionView,
  EventGridSchema,
  EventGridSubscriptionOptions,
  Operation,
  PlaceCallRequest,
  RecordingEventForm,
  RecordingOptionsView,
  RecordingView,
  RequestLogEntry,
  RunningSimulator,
  SimulatorOptions,
  SimulatorTimings,
} from "./types.js";
