#!/usr/bin/env bash
# Event Grid subscriptions of compliance-recorder on an ACS resource, with the Azure CLI (docs/operations.md "Event Grid
# subscriptions"); the same as subscriptions.bicep. Run after the webhook is deployed and reachable over HTTPS:
# Event Grid validates the endpoint (SubscriptionValidation handshake) when a subscription is created.
#
# Required: ACS_RESOURCE_ID, RESOURCE_GROUP (of the ACS resource), WEBHOOK_HOST, EVENTGRID_SECRET,
#           DEADLETTER_STORAGE_ID (storage account resource id; its DEADLETTER_CONTAINER must exist).
# Optional: SYSTEM_TOPIC_NAME (acs-events; an existing system topic of the ACS resource is reused),
#           DEADLETTER_CONTAINER (eventgrid-deadletter),
#           INCOMING_CALL_RECIPIENTS (space-separated raw ids: only IncomingCall events to these callees; at most 25),
#           INCOMING_CALL_SUBSCRIPTION (recorder-incoming-call), CALL_EVENTS_SUBSCRIPTION (recorder-call-events).
set -euo pipefail

die() {
  echo "subscriptions.sh: $*" >&2
  exit 2
}
for name in ACS_RESOURCE_ID RESOURCE_GROUP WEBHOOK_HOST EVENTGRID_SECRET DEADLETTER_STORAGE_ID; do
  [[ -n "${!name:-}" ]] || die "$name is required"
done
# The secret travels in the URL's query string: keep it to characters that need no encoding.
[[ "$EVENTGRID_SECRET" =~ ^[A-Za-z0-9._~-]+$ ]] || die "EVENTGRID_SECRET must use only A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 32)"
[[ "$WEBHOOK_HOST" != *"/"* ]] || die "WEBHOOK_HOST is a host name (recorder.example.com), not a URL"

topic="${SYSTEM_TOPIC_NAME:-acs-events}"
container="${DEADLETTER_CONTAINER:-eventgrid-deadletter}"
incoming_name="${INCOMING_CALL_SUBSCRIPTION:-recorder-incoming-call}"
events_name="${CALL_EVENTS_SUBSCRIPTION:-recorder-call-events}"
endpoint="https://${WEBHOOK_HOST}/api/eventgrid?code=${EVENTGRID_SECRET}"
read -r -a recipients <<<"${INCOMING_CALL_RECIPIENTS:-}"
((${#recipients[@]} <= 25)) || die "INCOMING_CALL_RECIPIENTS: at most 25 values (Event Grid's limit per subscription)"

# An ACS resource has at most one system topic: reuse it when it exists.
if ! az eventgrid system-topic show --name "$topic" --resource-group "$RESOURCE_GROUP" --output none 2>/dev/null; then
  az eventgrid system-topic create --name "$topic" --resource-group "$RESOURCE_GROUP" --location global \
    --topic-type Microsoft.Communication.CommunicationServices --source "$ACS_RESOURCE_ID" --output none
fi

# IncomingCall: a call rings for 30 s, so a late delivery is useless (Microsoft: 2 attempts, 1-minute TTL).
filter=()
if ((${#recipients[@]} > 0)); then filter=(--advanced-filter data.to.rawId StringIn "${recipients[@]}"); fi
az eventgrid system-topic event-subscription create --name "$incoming_name" --resource-group "$RESOURCE_GROUP" \
  --system-topic-name "$topic" --endpoint-type webhook --endpoint "$endpoint" \
  --event-delivery-schema eventgridschema \
  --included-event-types Microsoft.Communication.IncomingCall \
  --max-delivery-attempts 2 --event-ttl 1 "${filter[@]}" --output none

# The other calling events: default 24 h of retries, then a dead letter (a lost RecordingFileStatusUpdated is a
# lost recording). `recorder events replay --container "$container"` sends dead letters back.
az eventgrid system-topic event-subscription create --name "$events_name" --resource-group "$RESOURCE_GROUP" \
  --system-topic-name "$topic" --endpoint-type webhook --endpoint "$endpoint" \
  --event-delivery-schema eventgridschema \
  --included-event-types Microsoft.Communication.CallStarted Microsoft.Communication.CallEnded \
  Microsoft.Communication.CallParticipantAdded Microsoft.Communication.CallParticipantRemoved \
  Microsoft.Communication.RecordingFileStatusUpdated \
  --max-delivery-attempts 30 --event-ttl 1440 \
  --deadletter-endpoint "${DEADLETTER_STORAGE_ID}/blobServices/default/containers/${container}" --output none

echo "subscriptions ${incoming_name} and ${events_name} on system topic ${topic}: created (endpoint https://${WEBHOOK_HOST}/api/eventgrid?code=***)"
