// Everything the call and recording logic needs: the state maps and the ways out (events, callbacks).
import type { CallbackPublisher } from "./delivery/callbacks.js";
import type { EventGridPublisher } from "./delivery/eventgrid.js";
import type { CallbackMessage } from "./events/callback-events.js";
import type { EventGridMessage } from "./events/eventgrid-events.js";
import type { CustomerStorageWriter } from "./customer-storage.js";
import type { DiagnosticLogWriter } from "./diagnostic-logs.js";
import type { Call, Connection, Recording } from "./model.js";
import type { RecordingEventForm } from "./types.js";
import type { ObjectStore } from "./objects.js";
import type { ResolvedOptions } from "./options.js";
import type { Scheduler } from "./scheduler.js";

/** The rotation's order: Microsoft's current page's form first. */
export const RECORDING_EVENT_FORMS: readonly RecordingEventForm[] = [
  "server-call-id+recording-id",
  "call-id",
  "server-call-id",
  "recording-id",
  "server-call-id+data",
];

export class SimState {
  readonly calls = new Map<string, Call>();
  readonly connections = new Map<string, Connection>();
  readonly recordings = new Map<string, Recording>();
  readonly incomingContexts = new Map<string, string>();
  /** serverCallIds and correlationIds of calls whose Event Grid events are not delivered (PlaceCallRequest.eventGridDelivery). */
  readonly silencedCalls = new Set<string>();
  /** Per call (serverCallId and correlationId), event types not delivered (PlaceCallRequest.eventGridDroppedTypes). */
  readonly droppedTypes = new Map<string, ReadonlySet<string>>();
  /** ACS's call logs in storage, when the options ask for them. */
  diagnosticLogs: DiagnosticLogWriter | undefined;
  /** Bring your own storage: what ACS's managed identity may write (options.customerStorage). */
  customerStorage: CustomerStorageWriter | undefined;
  private callsPlaced = 0;

  constructor(
    readonly opts: ResolvedOptions,
    readonly scheduler: Scheduler,
    readonly eventGrid: EventGridPublisher,
    readonly callbacks: CallbackPublisher,
    readonly objects: ObjectStore,
  ) {}

  /** Each call takes the next documented recording event form in turn, so any run of calls meets them all. */
  nextRecordingEventForm(): RecordingEventForm {
    const form = RECORDING_EVENT_FORMS[this.callsPlaced % RECORDING_EVENT_FORMS.length];
    this.callsPlaced += 1;
    return form ?? "server-call-id+recording-id";
  }

  log(line: Record<string, unknown>): void {
    this.opts.log(line);
  }

  emit(msg: EventGridMessage): void {
    if (this.scheduler.isStopped) return;
    if ((this.silencedCalls.size > 0 || this.droppedTypes.size > 0) && this.isSilenced(msg)) {
      this.log({ msg: "event grid delivery off for this call", eventType: msg.eventType, subject: msg.subject });
      return;
    }
    this.eventGrid.publish(msg.eventType, msg.subject, msg.data);
  }

  /**
   * Sends a callback; with `delayMs`, it is held back that long but keeps the time it happened, so events that
   * happen meanwhile overtake it (ACS promises no order).
   */
  callback(uri: string | undefined, msg: CallbackMessage, delayMs?: number): void {
    if (this.scheduler.isStopped) return;
    if (!uri) {
      this.log({ msg: "callback not sent: no callback URI", eventType: msg.name });
      return;
    }
    if (delayMs === undefined) {
      this.callbacks.post(uri, msg.name, msg.source, msg.data);
      return;
    }
    const happened = new Date();
    this.scheduler.after(delayMs, () => {
      if (!this.scheduler.isStopped) this.callbacks.post(uri, msg.name, msg.source, msg.data, happened);
    });
  }

  private isSilenced(msg: EventGridMessage): boolean {
    const data = msg.data as { serverCallId?: unknown; correlationId?: unknown };
    // RecordingFileStatusUpdated names its call in the subject only (`/recording/call/{correlationId}…`).
    const about = (id: string) =>
      data.serverCallId === id || data.correlationId === id || msg.subject.includes(`/${id}`);
    if ([...this.silencedCalls].some(about)) return true;
    return [...this.droppedTypes].some(([id, types]) => types.has(msg.eventType) && about(id));
  }

  /** Runs fn after ms, remembering the timer on the call so ending the call cancels it. */
  later(call: Call, ms: number, fn: () => void | Promise<void>): void {
    call.timers.push(this.scheduler.after(ms, fn));
  }
}
