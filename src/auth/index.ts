export { type Action, type Target, asReader, decide, mayDo, scopeFilters } from "./access.js";
export { type Principal, type TokenStore, loadTokenStore, sha256Hex } from "./tokens.js";
