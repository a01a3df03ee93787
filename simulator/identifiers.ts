// The CommunicationIdentifierModel wire shape (docs/acs-payloads.md "Identifiers"), derived from rawId prefixes.

export type IdentifierModel =
  | { kind: "communicationUser"; rawId: string; communicationUser: { id: string } }
  | { kind: "phoneNumber"; rawId: string; phoneNumber: { value: string; isAnonymous: boolean } }
  | {
      kind: "microsoftTeamsUser";
      rawId: string;
      microsoftTeamsUser: { userId: string; isAnonymous: boolean; cloud: "public" | "gcch" | "dod" };
    }
  | { kind: "unknown"; rawId: string };

const teamsPrefixes: { prefix: string; cloud: "public" | "gcch" | "dod" }[] = [
  { prefix: "8:orgid:", cloud: "public" },
  { prefix: "8:gcch:", cloud: "gcch" },
  { prefix: "8:dod:", cloud: "dod" },
];

export function identifierFromRawId(rawId: string): IdentifierModel {
  if (rawId.startsWith("8:acs:") || rawId.startsWith("8:spool:") || rawId.startsWith("8:gcch-acs:")) {
    return { kind: "communicationUser", rawId, communicationUser: { id: rawId } };
  }
  if (rawId.startsWith("4:")) {
    const value = rawId.slice(2);
    return { kind: "phoneNumber", rawId, phoneNumber: { value, isAnonymous: value === "anonymous" } };
  }
  for (const { prefix, cloud } of teamsPrefixes) {
    if (rawId.startsWith(prefix)) {
      return {
        kind: "microsoftTeamsUser",
        rawId,
        microsoftTeamsUser: { userId: rawId.slice(prefix.length), isAnonymous: false, cloud },
      };
    }
  }
  return { kind: "unknown", rawId };
}

/** Calling events other than IncomingCall exist only for ACS VoIP users (docs/acs-payloads.md "Event Grid events"). */
export function isAcsVoipUser(rawId: string): boolean {
  return identifierFromRawId(rawId).kind === "communicationUser";
}

/** Best-effort rawId of an identifier model received on the wire (rawId wins when present). */
export function rawIdOf(model: {
  rawId?: string | undefined;
  communicationUser?: { id: string } | undefined;
  phoneNumber?: { value: string } | undefined;
  microsoftTeamsUser?: { userId: string; cloud?: string | undefined } | undefined;
}): string | undefined {
  if (model.rawId) return model.rawId;
  if (model.communicationUser) return model.communicationUser.id;
  if (model.phoneNumber) return `4:${model.phoneNumber.value}`;
  if (model.microsoftTeamsUser) {
    const cloud = model.microsoftTeamsUser.cloud;
    const prefix = cloud === "gcch" ? "8:gcch:" : cloud === "dod" ? "8:dod:" : "8:orgid:";
    return `${prefix}${model.microsoftTeamsUser.userId}`;
  }
  return undefined;
}

/** A display name of the kind ACS shows: the number for PSTN, a short label otherwise. */
export function displayNameOf(rawId: string): string {
  const id = identifierFromRawId(rawId);
  if (id.kind === "phoneNumber") return id.phoneNumber.value;
  const tail = rawId.slice(-6);
  return id.kind === "communicationUser" ? `ACS user ${tail}` : `User ${tail}`;
}
