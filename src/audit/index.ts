export { type AuditArchive, DAY, createBlobAuditArchive, isAuditCursor } from "./blob-archive.js";
export { type AuditEntry, type AuditLog, createActionAuditLog, createAuditLog } from "./log.js";
