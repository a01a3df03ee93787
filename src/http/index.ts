export { adminGuard, adminSessions, queuesBoard } from "./admin.js";
export { createApp } from "./app.js";
export { createOpsApp, listenOps } from "./ops.js";
