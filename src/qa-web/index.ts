export { QA_PAGE_FILES, qaWebRoutes } from "./routes.js";
