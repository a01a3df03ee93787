// Parses and validates a JSON request body; failures become ACS-style 400s naming the field.
import type { z } from "zod";
import { invalidRequest } from "../errors.js";
import type { SimRequest } from "../http.js";
import { describeIssue } from "../schemas.js";

export function parseBody<S extends z.ZodType>(schema: S, req: SimRequest): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw invalidRequest("the body is not valid JSON.");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(describeIssue(parsed.error));
  return parsed.data;
}
