import type { Server } from "node:http";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../test/support/http.js";
import { QA_PAGE_CSP, qaWebRoutes } from "./routes.js";

let server: Server;
let base: string;
beforeAll(async () => {
  const app = new Koa();
  app.use(qaWebRoutes().routes());
  ({ server, base } = await listen(app));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("GET /qa", () => {
  it.each([
    ["/qa", "text/html", "<title>"],
    ["/qa/app.js", "text/javascript", "import "],
    ["/qa/api.js", "text/javascript", "export function"],
    ["/qa/listen.js", "text/javascript", "export function"],
    ["/qa/view.js", "text/javascript", "export function"],
    ["/qa/style.css", "text/css", "{"],
    ["/qa/reviews.js", "text/javascript", "import "],
    ["/qa/reviews-view.js", "text/javascript", "export function"],
    ["/qa/uplot.js", "text/javascript", "export { uPlot as default }"],
    ["/qa/uplot.css", "text/css", ".uplot"],
  ])("serves %s as %s with the page's security headers", async (path, type, content) => {
    const response = await fetch(`${base}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(type);
    expect(await response.text()).toContain(content);
    expect(response.headers.get("content-security-policy")).toBe(QA_PAGE_CSP);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("allows only this origin's scripts, styles, requests and audio: no inline code, no frames, no form posts", () => {
    const directives = new Map(
      QA_PAGE_CSP.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")] as const),
    );
    expect(directives.get("default-src")).toBe("'none'");
    for (const kind of ["script-src", "style-src", "connect-src", "media-src"])
      expect(directives.get(kind)).toBe("'self'");
    expect(QA_PAGE_CSP).not.toContain("unsafe");
    expect(directives.get("frame-ancestors")).toBe("'none'");
    expect(directives.get("form-action")).toBe("'none'");
  });

  it("serves the page at /qa/ too", async () => {
    const response = await fetch(`${base}/qa/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(QA_PAGE_CSP);
  });

  it.each(["/qa/index.html", "/qa/routes.ts", "/qa/view.test.ts", "/qa/..%2Froutes.ts", "/qa/%2e%2e%2fpackage.json"])(
    "serves nothing else: %s is 404",
    async (path) => {
      expect((await fetch(`${base}${path}`)).status).toBe(404);
    },
  );

  it("uses no inline script or style and loads nothing from another origin", async () => {
    const html = await (await fetch(`${base}/qa`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
