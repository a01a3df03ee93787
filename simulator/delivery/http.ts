// One outgoing HTTP request with Event Grid's 30 s response timeout; never throws.

export type HttpOutcome = { status: number; body: string; headers: Headers } | { error: string };

const RESPONSE_TIMEOUT_MS = 30_000;

export async function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  stop: AbortSignal,
): Promise<HttpOutcome> {
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      signal: AbortSignal.any([stop, AbortSignal.timeout(RESPONSE_TIMEOUT_MS)]),
      redirect: "manual",
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
