import { describe, expect, it } from "vitest";
import { matchChunkBlobs } from "../../src/archive/index.js";
import { customerBlobNames, parseContainerUrl } from "../../simulator/customer-storage.js";

// The simulator writes bring-your-own-storage blobs under the names the app looks for (docs/byos.md).
describe("the simulator's bring-your-own-storage names", () => {
  it("follow Microsoft's folder structure, and the app finds them by index and documentId", () => {
    const recordingId = "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiJhIn0";
    const names = customerBlobNames({
      prefix: "",
      recordingStartTime: new Date("2026-12-04T23:59:59Z"),
      callId: "3f0c6f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
      recordingId,
      folderGuid: "7c1b2d3e-0000-4000-8000-000000000001",
      chunk: { index: 2, documentId: "0-eus-d2-abc", contentKind: "audiomp3", extension: "mp3" },
    });
    expect(names).toEqual({
      content: `20261204/3f0c6f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/${recordingId.slice(0, 8)}-7c1b2d3e-0000-4000-8000-000000000001/2-audiomp3.0-eus-d2-abc.mp3`,
      metadata: `20261204/3f0c6f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/${recordingId.slice(0, 8)}-7c1b2d3e-0000-4000-8000-000000000001/2-acsmetadata.0-eus-d2-abc.json`,
    });
    expect(
      matchChunkBlobs([names.content, names.metadata], { index: 2, documentId: "0-eus-d2-abc", recordingId }),
    ).toEqual({ content: [names.content], metadata: [names.metadata] });
  });

  it("a container URL below a container writes under that path", () => {
    expect(parseContainerUrl("http://127.0.0.1:10000/devstoreaccount1/c/desk/2026")).toEqual({
      account: "http://127.0.0.1:10000/devstoreaccount1",
      container: "c",
      prefix: "desk/2026/",
    });
  });
});
