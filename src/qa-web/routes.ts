import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Router from "@koa/router";
import type Koa from "koa";

/**
 * The QA web page (`GET /qa`): one static HTML page, its ES modules and its stylesheet, served as files from
 * `page/` as they are (the page itself has no build step: its JSDoc types are checked against the DOM by
 * page/tsconfig.json in `npm run typecheck`; `npm run build` copies the files into dist/). The page
 * talks only to this origin's `/api/recordings` and `/api/reconciliation` with the reviewer's token in an `Authorization` header; nothing
 * here sees a token.
 */

/** Every file the page is made of, by the name it is served under. Nothing else under /qa is served. */
const ASSETS = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "api.js": "text/javascript; charset=utf-8",
  "listen.js": "text/javascript; charset=utf-8",
  "view.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "reviews.js": "text/javascript; charset=utf-8",
  "reviews-view.js": "text/javascript; charset=utf-8",
} as const;
/**
 * Libraries the page uses, served from this origin out of node_modules (a dependency, so in production images
 * too), never from a CDN: uPlot draws the reviews report's chart (docs/reviews.md "The QA page").
 */
const VENDOR = {
  "uplot.js": { module: "uplot/dist/uPlot.esm.js", type: "text/javascript; charset=utf-8" },
  "uplot.css": { module: "uplot/dist/uPlot.min.css", type: "text/css; charset=utf-8" },
} as const;
type PageFile = keyof typeof ASSETS;
type AssetName = PageFile | keyof typeof VENDOR;
/** The page's files in `page/` (the build copies them beside the compiled routes). */
export const QA_PAGE_FILES = Object.keys(ASSETS) as PageFile[];

/**
 * Only this origin's scripts, styles, API calls and audio; no inline script or style, no frames, no forms
 * posted elsewhere, no plugins. The token lives in this origin's sessionStorage, so injected script is the
 * threat that matters most. Listening per speaker (listen.js) needs nothing more: Web Audio takes the
 * `<audio>` element's output (its stream still loaded under `media-src 'self'`), and the page uses no
 * AudioWorklet module (which `script-src` would govern).
 */
export const QA_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "media-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Content-Security-Policy": QA_PAGE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  // Small files, never kept: a reviewer always gets the page version the server runs.
  "Cache-Control": "no-store",
};

/** The page files, read once when the router is made (a missing file stops the app at start, not at a click). */
function loadAssets(directory: URL): Map<AssetName, Buffer> {
  const require = createRequire(import.meta.url);
  return new Map<AssetName, Buffer>([
    ...QA_PAGE_FILES.map((name) => [name, readFileSync(new URL(name, directory))] as const),
    ...Object.entries(VENDOR).map(
      ([name, vendor]) => [name as AssetName, readFileSync(require.resolve(vendor.module))] as const,
    ),
  ]);
}
const typeOf = (name: AssetName) =>
  Object.hasOwn(ASSETS, name) ? ASSETS[name as PageFile] : VENDOR[name as keyof typeof VENDOR].type;

export function qaWebRoutes(directory: URL = new URL("./page/", import.meta.url)): Router {
  const files = loadAssets(directory);
  const router = new Router();

  const serve = (name: AssetName) => (ctx: Koa.Context) => {
    ctx.set(SECURITY_HEADERS);
    ctx.type = typeOf(name);
    ctx.body = files.get(name);
  };

  // Also answers `/qa/` (the router ignores a trailing slash); the page's links are absolute, so both work.
  router.get("/qa", serve("index.html"));
  router.get("/qa/:asset", (ctx, next) => {
    const name = ctx.params.asset;
    if (name === undefined || !(Object.hasOwn(ASSETS, name) || Object.hasOwn(VENDOR, name)) || name === "index.html")
      return next();
    return serve(name as AssetName)(ctx);
  });
  return router;
}
