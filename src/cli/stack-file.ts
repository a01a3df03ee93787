import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** Written by `npm start` so that other commands (demo) find the local stack it started (LOCAL_DATA_DIR, else data/). */
export const STACK_FILE = join(process.env.LOCAL_DATA_DIR ?? "data", "stack.json");

export const stackFileSchema = z.object({
  startedAt: z.string(),
  simulatorUrl: z.url(),
  webhookUrl: z.url(),
  redisUrl: z.string(),
  redisPrefix: z.string(),
  blobConnectionString: z.string(),
  blobContainer: z.string(),
  demo: z.object({ from: z.string(), to: z.string(), teamId: z.string() }),
});
export type StackFile = z.infer<typeof stackFileSchema>;

export async function readStackFile(path = STACK_FILE): Promise<StackFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`No local stack found (${path} is missing). Start it first in another terminal: npm start`);
  }
  return stackFileSchema.parse(JSON.parse(text));
}
