// Recording storage: one object per chunk, holding the content and its acsmetadata document.
import type { Body } from "./body.js";

export interface StoredObject {
  documentId: string;
  serverCallId: string;
  /** Last path segment of the content URL, e.g. "audiowavmultichannel". */
  contentKind: string;
  content: Body;
  metadata: Body;
  sha256: string;
  deleted: boolean;
}

export class ObjectStore {
  private readonly objects = new Map<string, StoredObject>();

  constructor(private readonly storageHost: string) {}

  put(obj: StoredObject): void {
    this.objects.set(obj.documentId, obj);
  }

  get(documentId: string): StoredObject | undefined {
    return this.objects.get(documentId);
  }

  /** The body served at /v1/objects/{documentId}/content/{kind}, if it exists and is not deleted. */
  body(documentId: string, kind: string): Body | undefined {
    const obj = this.objects.get(documentId);
    if (!obj || obj.deleted) return undefined;
    if (kind === "acsmetadata") return obj.metadata;
    return kind === obj.contentKind ? obj.content : undefined;
  }

  /** Deleting the object root removes content and metadata together; false if already gone. */
  delete(documentId: string): boolean {
    const obj = this.objects.get(documentId);
    if (!obj || obj.deleted) return false;
    obj.deleted = true;
    return true;
  }

  locations(documentId: string, contentKind: string) {
    const root = `https://${this.storageHost}/v1/objects/${documentId}`;
    return {
      contentLocation: `${root}/content/${contentKind}`,
      metadataLocation: `${root}/content/acsmetadata`,
      // The 2025 recordings use the object root; the older Event Grid example uses .../content/deletedata.
      deleteLocation: root,
    };
  }
}
