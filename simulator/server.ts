// Wires the parts together and starts listening.
import { CustomerStorageWriter } from "./customer-storage.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHandler } from "./app.js";
import * as calls from "./calls.js";
import { CallbackPublisher } from "./delivery/callbacks.js";
import { EventGridPublisher } from "./delivery/eventgrid.js";
import { DeliveryQueue } from "./delivery/queue.js";
import { createCallbackSigner } from "./jwt.js";
import { FaultPlan } from "./faults.js";
import { ObjectStore } from "./objects.js";
import { ISSUER, resolveOptions } from "./options.js";
import { RepeatabilityCache } from "./repeatability.js";
import { RequestLog } from "./request-log.js";
import { callConnectionRoutes } from "./routes/call-connections.js";
import { controlRoutes } from "./routes/control.js";
import { publicRoutes } from "./routes/public.js";
import { recordingRoutes } from "./routes/recordings.js";
import { storageRoutes } from "./routes/storage.js";
import { Scheduler } from "./scheduler.js";
import { DiagnosticLogWriter } from "./diagnostic-logs.js";
import { describeIssue, placeCallRequest, recognizeAnswerRequest } from "./schemas.js";
import { scriptAnswer } from "./recognize.js";
import { SimState } from "./state.js";
import type { PlaceCallRequest, RunningSimulator, SimulatorOptions } from "./types.js";
import { callView } from "./view.js";

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const opts = resolveOptions(options);
  const log = opts.log;
  const scheduler = new Scheduler((err) => log({ msg: "scheduled task failed", error: String(err) }));
  const signer = await createCallbackSigner(ISSUER, opts.resourceId);
  const queue = new DeliveryQueue(scheduler, opts.timings.deliveryRetryMs, log, opts.deliveryConcurrency);
  let url = "";
  const eventGrid = new EventGridPublisher(
    queue,
    scheduler.abort.signal,
    () => `${url}/simulator/eventgrid/validate`,
    log,
  );
  const callbacks = new CallbackPublisher(queue, signer, scheduler.abort.signal);
  const objects = new ObjectStore(opts.storageHost);
  const state = new SimState(opts, scheduler, eventGrid, callbacks, objects);
  if (opts.diagnosticLogs) state.diagnosticLogs = new DiagnosticLogWriter(opts.diagnosticLogs, scheduler, log);
  if (opts.customerStorage) state.customerStorage = new CustomerStorageWriter(opts.customerStorage);
  const requestLog = new RequestLog();
  const faults = new FaultPlan();

  const controls: Pick<
    RunningSimulator,
    | "placeCall"
    | "endCall"
    | "addParticipant"
    | "removeParticipant"
    | "scriptRecognizeAnswer"
    | "getCall"
    | "requests"
    | "setEventGridSubscription"
    | "addFault"
    | "faults"
    | "clearFaults"
  > = {
    async setEventGridSubscription(endpointUrl, subOptions) {
      await eventGrid.subscribe(endpointUrl, subOptions?.schema ?? "EventGridSchema");
    },
    async placeCall(req: PlaceCallRequest) {
      const parsed = placeCallRequest.safeParse(req);
      if (!parsed.success) throw new Error(`Invalid placeCall request: ${describeIssue(parsed.error)}`);
      const call = calls.placeCall(state, parsed.data);
      return { serverCallId: call.serverCallId, correlationId: call.correlationId };
    },
    async endCall(serverCallId: string) {
      const call = state.calls.get(serverCallId);
      if (!call) throw new Error(`No call with serverCallId ${serverCallId}`);
      calls.endCall(state, call, { kind: "participant", rawId: call.from });
    },
    async addParticipant(serverCallId: string, rawId: string) {
      const call = state.calls.get(serverCallId);
      if (!call) throw new Error(`No call with serverCallId ${serverCallId}`);
      calls.addParticipant(state, call, rawId);
    },
    async removeParticipant(serverCallId: string, rawId: string) {
      const call = state.calls.get(serverCallId);
      if (!call) throw new Error(`No call with serverCallId ${serverCallId}`);
      calls.removeParticipant(state, call, rawId);
    },
    async scriptRecognizeAnswer(serverCallId, rawId, answer) {
      const call = state.calls.get(serverCallId);
      if (!call) throw new Error(`No call with serverCallId ${serverCallId}`);
      const parsed = recognizeAnswerRequest.safeParse({ rawId, answer });
      if (!parsed.success) throw new Error(`Invalid recognize answer: ${describeIssue(parsed.error)}`);
      scriptAnswer(call, parsed.data);
    },
    getCall(serverCallId: string) {
      const call = state.calls.get(serverCallId);
      return call ? callView(call, objects) : undefined;
    },
    requests: () => requestLog.all(),
    addFault: (spec) => faults.add(spec),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
  };

  const handler = createHandler({
    routes: [
      ...publicRoutes(() => url, ISSUER, signer),
      ...callConnectionRoutes(state),
      ...recordingRoutes(state),
      ...storageRoutes(state),
      ...controlRoutes(controls),
    ],
    key: opts.key,
    requestLog,
    repeatability: new RepeatabilityCache(),
    faults,
    log,
  });
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      log({ msg: "request failed", error: String(err) });
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  url = `http://${hostForUrl}:${port}`;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      scheduler.stop();
      server.close(() => resolve());
      server.closeAllConnections();
    }));

  if (opts.eventGridUrl) {
    try {
      await controls.setEventGridSubscription(opts.eventGridUrl);
    } catch (err) {
      await stop();
      throw err;
    }
  }
  log({ msg: "simulator listening", url });

  return {
    url,
    port,
    connectionString: `endpoint=${url}/;accesskey=${opts.accessKey}`,
    openIdConfigurationUrl: `${url}/calling/.well-known/acsopenidconfiguration`,
    issuer: ISSUER,
    ...controls,
    stop,
  };
}
