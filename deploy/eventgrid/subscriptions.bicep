// Event Grid subscriptions of compliance-recorder on an ACS resource (docs/operations.md "Event Grid subscriptions").
//   az deployment group create -g <resource group of the ACS resource> -f deploy/eventgrid/subscriptions.bicep \
//     -p acsResourceId=<id> webhookHost=recorder.example.com webhookSecret=<secret> \
//        deadLetterStorageAccountId=<storage account id> [incomingCallRecipients='["8:acs:…","4:+44…"]']
// Not deployed from this repository's tests (no Azure here); see docs/operations.md for what was checked.

@description('Resource id of the Azure Communication Services resource.')
param acsResourceId string

@description('Name of the ACS resource\'s Event Grid system topic (an ACS resource has at most one).')
param systemTopicName string = 'acs-events'

@description('false when the ACS resource already has a system topic (created in the portal, or by another app): its name goes in systemTopicName.')
param createSystemTopic bool = true

@description('Public host name of the webhook (HTTPS; Event Grid delivers to HTTPS only).')
param webhookHost string

@secure()
@description('One of the webhook\'s EVENTGRID_SECRET values: sent as ?code= on every delivery.')
param webhookSecret string

@description('Storage account (resource id) that receives dead-lettered events of the calling-events subscription.')
param deadLetterStorageAccountId string

@description('Blob container in that account for dead letters (create it first). `recorder events replay --container` reads it.')
param deadLetterContainer string = 'eventgrid-deadletter'

@description('Optional: only IncomingCall events to these callees (raw ids: 8:acs:…, 4:+<E.164>, 8:orgid:…). Empty: every IncomingCall. At most 25 values (Event Grid\'s limit per subscription).')
param incomingCallRecipients array = []

param incomingCallSubscriptionName string = 'recorder-incoming-call'
param callEventsSubscriptionName string = 'recorder-call-events'

var endpointUrl = 'https://${webhookHost}/api/eventgrid?code=${uriComponent(webhookSecret)}'

resource newTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (createSystemTopic) {
  name: systemTopicName
  location: 'global'
  properties: {
    source: acsResourceId
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

// IncomingCall: a call rings for 30 s, so a late delivery is useless; Microsoft recommends 2 attempts and a 1-minute TTL.
resource incomingCall 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: incomingCallSubscriptionName
  dependsOn: [newTopic]
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.IncomingCall'
      ]
      advancedFilters: empty(incomingCallRecipients) ? [] : [
        {
          operatorType: 'StringIn'
          key: 'data.to.rawId'
          values: incomingCallRecipients
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 2
      eventTimeToLiveInMinutes: 1
    }
  }
}

// Everything else: Event Grid's default 24 h of retries, then a dead letter, because a lost
// RecordingFileStatusUpdated is a lost recording (ACS deletes it 24 h after publishing).
resource callEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: callEventsSubscriptionName
  dependsOn: [newTopic]
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.CallStarted'
        'Microsoft.Communication.CallEnded'
        'Microsoft.Communication.CallParticipantAdded'
        'Microsoft.Communication.CallParticipantRemoved'
        'Microsoft.Communication.RecordingFileStatusUpdated'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: {
        resourceId: deadLetterStorageAccountId
        blobContainerName: deadLetterContainer
      }
    }
  }
}

output incomingCallSubscriptionId string = incomingCall.id
output callEventsSubscriptionId string = callEvents.id
