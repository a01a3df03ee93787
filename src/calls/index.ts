export {
  dueActions,
  needsHealth,
  planCall,
  timeToRecordOrigin,
  type CallPlan,
  type PlannedJob,
  type Ringing,
} from "./plan.js";
