import {
  createIdentifierFromRawId,
  getIdentifierRawId,
  type CommunicationIdentifier,
} from "@azure/communication-common";

/** Raw id of an identifier wire model (docs/acs-payloads.md "Identifiers"): `rawId` when present, else derived from its kind. */
export function rawIdOf(model: {
  rawId?: string | undefined;
  communicationUser?: { id: string } | undefined;
  phoneNumber?: { value: string } | undefined;
  microsoftTeamsUser?: { userId: string } | undefined;
}): string | undefined {
  if (model.rawId) return model.rawId;
  if (model.communicationUser) return model.communicationUser.id;
  if (model.phoneNumber) return `4:${model.phoneNumber.value}`;
  if (model.microsoftTeamsUser) return getIdentifierRawId({ microsoftTeamsUserId: model.microsoftTeamsUser.userId });
  return undefined;
}

export function identifierFromRawId(rawId: string): CommunicationIdentifier {
  return createIdentifierFromRawId(rawId);
}
