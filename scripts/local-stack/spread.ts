import { createServer, type IncomingHttpHeaders } from "node:http";

/** Hop-by-hop headers, and those fetch sets itself: never forwarded. */
const NOT_FORWARDED = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

export interface SpreadStats {
  /** Requests each target answered (any status). */
  answered: number[];
  /** Requests a target did not answer (connection refused or reset): answered 502 to the sender. */
  unanswered: number;
  /**
   * By path (`/api/eventgrid`, `/api/callbacks`): how late deliveries arrived here, from the event's own time
   * (`eventTime` / `time`; retries included), and how long the webhook took to answer them.
   */
  paths: Record<string, { lagMs: Summary; answerMs: Summary }>;
}

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN };
}

export interface Spread {
  /** http://127.0.0.1:PORT: give it to the sender in place of one instance's base URL. */
  url: string;
  stats(): SpreadStats;
  close(): Promise<void>;
}

/**
 * Spreads HTTP requests over several instances of the webhook, round robin, as a load balancer in front of
 * replicas does. A request an instance does not answer (its process died: connection refused or reset) is
 * answered 502 and the instance leaves the rotation; the sender's retry — Event Grid retries every delivery
 * that got no 2xx, and the simulator does as Event Grid does — then reaches a surviving instance.
 */
export async function startSpread(targets: string[]): Promise<Spread> {
  const alive = targets.map(() => true);
  const answered = targets.map(() => 0);
  let unanswered = 0;
  let next = 0;
  const samples = new Map<string, { lag: number[]; answer: number[] }>();
  const samplesOf = (url: string | undefined) => {
    const path = new URL(url ?? "/", "http://spread").pathname;
    const found = samples.get(path) ?? { lag: [], answer: [] };
    samples.set(path, found);
    return found;
  };
  const pick = (): number | undefined => {
    for (let i = 0; i < targets.length; i++) {
      const candidate = (next + i) % targets.length;
      if (alive[candidate]) {
        next = candidate + 1;
        return candidate;
      }
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = pick();
      if (target === undefined) {
        unanswered++;
        res.writeHead(502).end();
        return;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const lag = lagOf(body);
      const measured = samplesOf(req.url);
      if (lag !== undefined) measured.lag.push(lag);
      const sent = Date.now();
      fetch(new URL(req.url ?? "/", targets[target]), {
        method: req.method ?? "POST",
        headers: forwarded(req.headers),
        ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
      })
        .then(async (response) => {
          answered[target]!++;
          measured.answer.push(Date.now() - sent);
          const text = Buffer.from(await response.arrayBuffer());
          const headers: Record<string, string> = {};
          response.headers.forEach((value, name) => {
            if (!NOT_FORWARDED.has(name)) headers[name] = value;
          });
          res.writeHead(response.status, headers).end(text);
        })
        .catch(() => {
          // No answer: the instance is gone. The sender gets no 2xx, so it delivers again (to another one).
          alive[target] = false;
          unanswered++;
          res.writeHead(502).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({
      answered: [...answered],
      unanswered,
      paths: Object.fromEntries(
        [...samples].map(([path, { lag, answer }]) => [path, { lagMs: summarise(lag), answerMs: summarise(answer) }]),
      ),
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Milliseconds since the oldest event of a delivery happened (Event Grid `eventTime`, CloudEvents `time`). */
function lagOf(body: Buffer | undefined): number | undefined {
  if (!body) return undefined;
  try {
    const events = JSON.parse(body.toString("utf8")) as unknown;
    const times = (Array.isArray(events) ? events : [events]).flatMap((event: unknown) => {
      const record = (event ?? {}) as { eventTime?: unknown; time?: unknown };
      const time = typeof record.eventTime === "string" ? record.eventTime : record.time;
      return typeof time === "string" && Number.isFinite(Date.parse(time)) ? [Date.parse(time)] : [];
    });
    return times.length > 0 ? Date.now() - Math.min(...times) : undefined;
  } catch {
    return undefined;
  }
}

function forwarded(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (NOT_FORWARDED.has(name) || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
