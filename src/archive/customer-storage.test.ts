import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { blobAt, candidateDays, matchChunkBlobs, parseContainerUrl, storageRoute } from "./customer-storage.js";

describe("storageRoute (docs/byos.md)", () => {
  const url = "https://acct.blob.core.windows.net/recordings";
  it.each([
    [url, "AzureBlob", { kind: "in-place", containerUrl: url }],
    [url, "azureblob", { kind: "in-place", containerUrl: url }],
    [url, "acsstorage", { kind: "download", alert: "customer-write-failed" }],
    [url, undefined, { kind: "download", alert: "customer-write-failed" }],
    [undefined, "AzureBlob", { kind: "download", alert: "customer-storage-unexpected" }],
    [undefined, "acsstorage", { kind: "download" }],
    [undefined, undefined, { kind: "download" }],
  ] as const)("planned %s, notified %s", (planned, storageType, route) => {
    expect(storageRoute(planned, storageType)).toEqual(route);
  });
  it("near ACS's expiry a recording in the customer's container is downloaded while ACS still has it", () => {
    expect(storageRoute(url, "AzureBlob", "at-risk")).toEqual({ kind: "download", alert: "customer-storage-at-risk" });
    expect(storageRoute(undefined, "acsstorage", "at-risk")).toEqual({ kind: "download" });
    // Past it, ACS's copy is gone: the customer's container is the only place left to seal it.
    expect(storageRoute(url, "AzureBlob", "lost")).toEqual({ kind: "in-place", containerUrl: url });
  });
});

describe("Microsoft's BYOS folder structure", () => {
  const rid = "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiJ4In0";
  const doc = "0-eus-d2-3cca2175891f21c6c9a5975a12c0141c";
  const folder = `20261204/call-1/${rid.slice(0, 8)}-7c1b2d3e-0000-4000-8000-000000000001`;
  const names = [
    `${folder}/0-audiowav.${doc}.wav`,
    `${folder}/0-acsmetadata.${doc}.json`,
    `${folder}/1-audiowav.other-doc.wav`,
    `${folder}/1-acsmetadata.other-doc.json`,
    `20261204/call-1/xxxxxxxx-guid/0-audiowav.${doc}.wav`, // another recording's folder
    `20261204/call-1/${rid.slice(0, 8)}-second-guid/0-audiowav.${doc}.wav`, // ACS's known duplicate
    `${folder}/0-audiowav.${doc}.wav.tmp`,
  ];
  it("finds a chunk's content and metadata by index and documentId, duplicates included, in name order", () => {
    expect(matchChunkBlobs(names, { index: 0, documentId: doc, recordingId: rid })).toEqual({
      content: [
        `${folder}/0-audiowav.${doc}.wav`,
        `20261204/call-1/${rid.slice(0, 8)}-second-guid/0-audiowav.${doc}.wav`,
      ],
      metadata: [`${folder}/0-acsmetadata.${doc}.json`],
    });
  });
  it("the page's mp3 example name, and nothing for a chunk index that does not match", () => {
    const mp3 = `${folder}/2-audiomp3.${doc}.mp3`;
    expect(matchChunkBlobs([mp3], { index: 2, documentId: doc, recordingId: rid }).content).toEqual([mp3]);
    expect(matchChunkBlobs([mp3], { index: 3, documentId: doc, recordingId: rid }).content).toEqual([]);
  });
  it("without a known recordingId, any folder of the call", () => {
    expect(matchChunkBlobs(names, { index: 0, documentId: doc, recordingId: undefined }).content).toHaveLength(3);
  });
  it("candidate days: the recording's start day to the event's, at most two days on", () => {
    expect(candidateDays("2026-12-04T23:50:00Z", "2026-12-05T00:10:00Z")).toEqual(["20261204", "20261205"]);
    expect(candidateDays("2026-12-04T10:00:00Z", "2026-12-04T10:05:00Z")).toEqual(["20261204"]);
    expect(candidateDays("2026-12-04T10:00:00Z", "2026-12-20T10:05:00Z")).toEqual(["20261204", "20261205", "20261206"]);
    expect(candidateDays("not a time", undefined)).toEqual([]);
  });
  it("container URLs: Azure and path-style emulator, with a path below the container", () => {
    expect(parseContainerUrl("https://acct.blob.core.windows.net/recs/desk")).toEqual({
      account: "https://acct.blob.core.windows.net",
      container: "recs",
      prefix: "desk/",
    });
    expect(parseContainerUrl("http://127.0.0.1:10000/devstoreaccount1/recs")).toEqual({
      account: "http://127.0.0.1:10000/devstoreaccount1",
      container: "recs",
      prefix: "",
    });
  });
});

describe("blobAt: whom the archive's credential is shown to", () => {
  const key = new StorageSharedKeyCredential("devstoreaccount1", Buffer.from("k").toString("base64"));
  const archive = new ContainerClient("http://127.0.0.1:10000/devstoreaccount1/recordings", key);
  it("a name is in the archive container; a URL of the same account is reached directly", () => {
    expect(blobAt(archive, "desk/2026/chunk-0000.wav").url).toBe(
      "http://127.0.0.1:10000/devstoreaccount1/recordings/desk/2026/chunk-0000.wav",
    );
    expect(blobAt(archive, "http://127.0.0.1:10000/devstoreaccount1/customer/a.wav").containerName).toBe("customer");
  });
  it("refuses any other host, and another Azure account with an account key", () => {
    expect(() => blobAt(archive, "http://evil.example/devstoreaccount1/x/a.wav")).toThrow(/not a storage account/);
    expect(() => blobAt(archive, "https://other.blob.core.windows.net/x/a.wav")).toThrow(/Microsoft Entra/);
  });
});
