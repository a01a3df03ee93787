import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import { safeSegment } from "../archive/index.js";
import { fetchOrExplain } from "./reach.js";
import { readStackFile } from "./stack-file.js";

const callView = z.looseObject({
  state: z.string(),
  recordings: z.array(
    z.looseObject({
      recordingId: z.string(),
      state: z.string(),
      chunks: z.array(z.looseObject({ index: z.number(), sha256: z.string(), sizeBytes: z.number() })),
    }),
  ),
});

async function json(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetchOrExplain(url, init, "the local stack (is npm start running?)");
  if (!response.ok)
    throw new Error(`${init?.method ?? "GET"} ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/**
 * Places a call between two members of the example team on the running local stack, follows it, and
 * prints the archived blobs once they are in storage, checked against the hashes the simulator served.
 */
export async function runDemo(options: { durationMs: number; timeoutMs: number; out: (line: string) => void }) {
  const { out } = options;
  const stack = await readStackFile();
  out(`Placing a ${options.durationMs / 1000}s call ${stack.demo.from} → ${stack.demo.to} (team ${stack.demo.teamId})`);
  const placed = z.object({ serverCallId: z.string(), correlationId: z.string() }).parse(
    await json(`${stack.simulatorUrl}/simulator/calls`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: stack.demo.from, to: stack.demo.to, durationMs: options.durationMs }),
    }),
  );
  out(`  serverCallId  ${placed.serverCallId}`);
  out(`  correlationId ${placed.correlationId}`);

  const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(
    stack.blobContainer,
  );
  const deadline = Date.now() + options.timeoutMs;
  let lastStatus = "";
  for (;;) {
    const call = callView.parse(
      await json(`${stack.simulatorUrl}/simulator/calls/${encodeURIComponent(placed.serverCallId)}`),
    );
    const recording = call.recordings[0];
    const status = `call ${call.state}; recording ${recording ? recording.state : "not started"}`;
    if (status !== lastStatus) out(`  … ${status}`);
    lastStatus = status;

    if (recording && recording.state === "stopped" && recording.chunks.length > 0) {
      const blobs = [];
      for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
        if (blob.name.includes(`/${safeSegment(placed.serverCallId)}/`)) blobs.push(blob);
      }
      const archivedChunks = blobs.filter(
        (b) => !b.name.endsWith(".acsmetadata.json") && !b.name.endsWith("/manifest.json") && b.metadata?.sha256,
      );
      const manifest = blobs.find((b) => b.name.endsWith("/manifest.json"));
      if (archivedChunks.length >= recording.chunks.length && manifest) {
        out("");
        out(`Archived in container '${stack.blobContainer}':`);
        let allMatch = true;
        for (const blob of blobs.sort((a, b) => a.name.localeCompare(b.name))) {
          const sha256 = blob.metadata?.sha256 ?? "(none)";
          out(`  ${blob.name}`);
          out(`    ${blob.properties.contentLength} bytes  sha256 ${sha256}`);
        }
        for (const chunk of recording.chunks) {
          const match = archivedChunks.find((b) => b.metadata?.chunk === String(chunk.index));
          const ok = match?.metadata?.sha256 === chunk.sha256 && match.properties.contentLength === chunk.sizeBytes;
          allMatch &&= ok;
          out(
            `  chunk ${chunk.index}: ${ok ? "matches" : "DOES NOT MATCH"} the ${chunk.sizeBytes} bytes ACS served (sha256 ${chunk.sha256})`,
          );
        }
        return allMatch;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Not archived after ${options.timeoutMs / 1000}s (last: ${lastStatus}). See the logs in data/logs/.`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
