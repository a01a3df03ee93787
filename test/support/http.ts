import type { Server } from "node:http";
import type Koa from "koa";

/** Serves a Koa app on a free loopback port; `base` is its URL. */
export async function listen(app: Koa): Promise<{ server: Server; base: string }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const address = server.address();
  return { server, base: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` };
}
