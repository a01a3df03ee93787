// Recording storage: /v1/objects/{documentId}/content/{kind} with Range, and deletes (docs/acs-payloads.md "Recording files").
// Errors are `{status, message}` bodies: the SDK throws exactly those two fields to its caller.
import { parseRange, streamBody } from "../body.js";
import type { Reply, SimRequest } from "../http.js";
import { header } from "../http.js";
import type { Route } from "../router.js";
import type { SimState } from "../state.js";

const DOC = "([^/]+)";

export function storageError(status: number, message: string): Reply {
  return { status, json: { status, message } };
}

export function storageRoutes(s: SimState): Route[] {
  const trace = (req: SimRequest) => {
    const obj = s.objects.get(req.params[0] ?? "");
    if (obj) req.trace.serverCallId = obj.serverCallId;
  };
  const remove = (req: SimRequest): Reply => {
    trace(req);
    if (!s.objects.delete(req.params[0] ?? "")) return storageError(404, "The recording object does not exist.");
    return { status: 200 };
  };
  return [
    {
      method: "GET",
      pattern: new RegExp(`^/v1/objects/${DOC}/content/${DOC}$`),
      kind: "storage",
      operation: "download",
      handle(req): Reply {
        trace(req);
        const body = s.objects.body(req.params[0] ?? "", req.params[1] ?? "");
        if (!body) return storageError(404, "The recording object does not exist.");
        const range = parseRange(header(req, "range"), body.size);
        const headers = {
          "content-type": "application/octet-stream",
          "accept-ranges": "bytes",
          "cache-control": "no-cache, max-age=0, s-maxage=0, private",
        };
        if (range === "unsatisfiable") {
          return {
            ...storageError(416, "The requested range is not satisfiable."),
            headers: { "content-range": `bytes */${body.size}` },
          };
        }
        const { start, end } = range ?? { start: 0, end: body.size };
        // The real storage sends Content-Range even on a plain 200 (docs/acs-payloads.md "Recording files").
        const all: Record<string, string> = { ...headers };
        if (body.size > 0) all["content-range"] = `bytes ${start}-${end - 1}/${body.size}`;
        return {
          status: range ? 206 : 200,
          headers: all,
          stream: { body: streamBody(body, start, end), length: end - start },
        };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/v1/objects/${DOC}$`),
      kind: "storage",
      operation: "delete",
      handle: remove,
    },
    {
      // The older Event Grid example's deleteLocation (docs/acs-payloads.md "Recording files").
      method: "DELETE",
      pattern: new RegExp(`^/v1/objects/${DOC}/content/deletedata$`),
      kind: "storage",
      operation: "delete",
      handle: remove,
    },
  ];
}
