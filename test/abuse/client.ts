/**
 * A fast HTTP client for the abuse suite (client-worker.mjs, in a worker thread: the app under attack keeps this
 * thread's core): node:http over kept-alive connections, many requests in flight, every answer's status and
 * headers kept (bodies are read and dropped).
 */
import { Worker } from "node:worker_threads";

export interface Attempt {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first bytes of the body (for reports). */
  text: string;
}

export function client(base: string, concurrency = 24) {
  const worker = new Worker(new URL("./client-worker.mjs", import.meta.url), { workerData: { base, concurrency } });
  worker.unref();
  const waiting = new Map<number, { resolve: (answers: Answer[]) => void; reject: (error: Error) => void }>();
  let ids = 0;
  worker.on("message", (message: { id: number; answers?: Answer[]; error?: string }) => {
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.answers ?? []);
  });
  const all = (attempts: readonly Attempt[]): Promise<Answer[]> =>
    new Promise((resolve, reject) => {
      const id = ++ids;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, attempts });
    });
  return {
    /** Sends every attempt, `concurrency` at a time; answers in the attempts' order. */
    all,
    async send(attempt: Attempt): Promise<Answer> {
      return (await all([attempt]))[0]!;
    },
    close: () => worker.postMessage({ id: "close" }),
  };
}

/** Statuses and how often each came, for failure messages. */
export function tally(answers: readonly Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** The attempts answered 5xx (or not with one of `allowed`), with what they sent: empty when all is well. */
export function unexpected(attempts: readonly Attempt[], answers: readonly Answer[], allowed: readonly number[]) {
  return answers
    .map((answer, i) => ({ answer, attempt: attempts[i]! }))
    .filter(({ answer }) => answer.status >= 500 || !allowed.includes(answer.status))
    .slice(0, 5)
    .map(({ answer, attempt }) => ({
      status: answer.status,
      answer: answer.text.slice(0, 200),
      method: attempt.method,
      path: attempt.path.slice(0, 200),
      body: attempt.body?.toString().slice(0, 200),
    }));
}
