// The abuse suite's HTTP client, in a worker thread so that it does not share a core with the app under attack:
// node:http over kept-alive connections, `concurrency` requests in flight. Receives { id, attempts }, answers
// { id, answers } (status, headers, the first bytes of the body), or { id, error }.
import { Buffer } from "node:buffer";
import { Agent, request } from "node:http";
import { URL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const url = new URL(workerData.base);
const concurrency = workerData.concurrency;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/**
 * A kept-alive connection the server closed as idle while this request was being sent on it fails with
 * ECONNRESET before the server read anything: sent again once on a fresh connection (as Node's documentation of
 * `request.reusedSocket` advises).
 */
async function send(attempt) {
  try {
    return await sendOnce(attempt);
  } catch (error) {
    if (!error.reusedSocket || error.code !== "ECONNRESET") throw error;
    return sendOnce(attempt);
  }
}

function sendOnce(attempt) {
  return new Promise((resolve, reject) => {
    const body = attempt.body === undefined ? undefined : Buffer.from(attempt.body);
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: attempt.method,
        path: attempt.path,
        headers: { ...(body ? { "content-length": String(body.length) } : {}), ...attempt.headers },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          if (text.length < 300) text += chunk.toString("utf8", 0, 300);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on("error", reject);
      },
    );
    req.on("error", (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

parentPort.on("message", async ({ id, attempts }) => {
  if (id === "close") {
    agent.destroy();
    parentPort.close();
    return;
  }
  try {
    const answers = new Array(attempts.length);
    let next = 0;
    const lane = async () => {
      while (next < attempts.length) {
        const i = next++;
        answers[i] = await send(attempts[i]);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    parentPort.postMessage({ id, answers });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
