// Small DOM helpers shared by the page's scripts (app.js, reviews.js). Text is always set as textContent.
/* global document, HTMLElement */

/**
 * An element of index.html by id, of the kind the page uses it as: a missing one is a bug in the page.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [kind]
 * @returns {T}
 */
export function byId(id, kind) {
  const node = document.getElementById(id);
  if (!(node instanceof (kind ?? HTMLElement))) throw new Error(`the page has no ${kind?.name ?? "element"} #${id}`);
  return /** @type {T} */ (node);
}

/**
 * `el("td", { text: "x", className: "y", attrs: { title: "z" } }, child…)`
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ text?: string | number, className?: string, attrs?: Record<string, string | number> }} [options]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, { text, className, attrs = {} } = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** @param {string} text */
export const say = (text) => {
  byId("status").textContent = text;
};
/** @param {string} text */
export function complain(text) {
  byId("problem").textContent = text;
  byId("problem").hidden = !text;
}
