import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.js";

const valid = {
  PUBLIC_BASE_URL: "https://recorder.example.com",
  ACS_CONNECTION_STRING: "endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5",
  ACS_RESOURCE_ID: "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10",
  REDIS_URL: "redis://127.0.0.1:6379",
  BLOB_CONNECTION_STRING: "UseDevelopmentStorage=true",
  EVENTGRID_SECRET: "s1, s2",
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("accepts a minimal production configuration with defaults", () => {
    const config = loadConfig({ ...valid, NODE_ENV: "production" });
    expect(config.PORT).toBe(8080);
    expect(config.EVENTGRID_SECRET).toEqual(["s1", "s2"]);
    expect(config.RECORDING_HOST_SUFFIXES).toContain(".asm.skype.com");
    expect(config.ACS_LOCAL_SIMULATOR_URL).toBeUndefined();
  });

  it.each([
    ["REDIS_URL", undefined, "REDIS_URL is required"],
    ["REDIS_URL", "localhost:6379", "REDIS_URL: must be redis://"],
    ["PORT", "eighty", "PORT:"],
    ["ACS_CONNECTION_STRING", "https://acs", "ACS_CONNECTION_STRING: must look like"],
    ["EVENTGRID_SECRET", " , ", "EVENTGRID_SECRET"],
    ["BLOB_CONTAINER", "Bad_Name", "BLOB_CONTAINER"],
  ])("names the bad variable %s", (name, value, message) => {
    const problems = problemsOf({ ...valid, [name]: value });
    expect(problems.join("\n")).toContain(message);
  });

  it("refuses the simulator routing in production", () => {
    expect(problemsOf({ ...valid, NODE_ENV: "production", ACS_LOCAL_SIMULATOR_URL: "http://127.0.0.1:8480" })).toEqual([
      "ACS_LOCAL_SIMULATOR_URL must not be set when NODE_ENV=production",
    ]);
  });
});
