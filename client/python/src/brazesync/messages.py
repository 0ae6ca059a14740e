"""Short names for the generated BrazeSync message types and enum values, so
callers need not import ``brazesync.v1.*_pb2`` for everyday use.

The generated modules themselves are ``brazesync.v1.<file>_pb2`` (messages)
and ``brazesync.v1.<file>_pb2_grpc`` (service stubs), one per
``protos/brazesync/v1/<file>.proto``.
"""

from __future__ import annotations

from .v1 import (actions_pb2, admin_pb2, brazesync_pb2, identity_pb2, lookup_pb2,
                 messaging_pb2, subscriptions_pb2, types_pb2)

# Re-exported message types, so callers need not import the stubs themselves.
TrackRequest = brazesync_pb2.TrackRequest
TrackResult = brazesync_pb2.TrackResult
ItemResult = brazesync_pb2.ItemResult
UserRef = types_pb2.UserRef
UserAlias = types_pb2.UserAlias
UserProfile = types_pb2.UserProfile
Event = types_pb2.Event
Purchase = types_pb2.Purchase
AttributeValue = types_pb2.AttributeValue

ITEM_STATUS_DELIVERED = brazesync_pb2.ITEM_STATUS_DELIVERED
ITEM_STATUS_QUEUED = brazesync_pb2.ITEM_STATUS_QUEUED
OUTCOME_DELIVERED = brazesync_pb2.OUTCOME_DELIVERED
OUTCOME_ACCEPTED = brazesync_pb2.OUTCOME_ACCEPTED
DELIVERY_MODE_SYNC = brazesync_pb2.DELIVERY_MODE_SYNC
DELIVERY_MODE_ASYNC = brazesync_pb2.DELIVERY_MODE_ASYNC

LookupUsersRequest = lookup_pb2.LookupUsersRequest
LookupUsersResponse = lookup_pb2.LookupUsersResponse
LookupResult = lookup_pb2.LookupResult
ExportedUser = lookup_pb2.ExportedUser

LOOKUP_OUTCOME_FOUND = lookup_pb2.LOOKUP_OUTCOME_FOUND
LOOKUP_OUTCOME_NOT_FOUND = lookup_pb2.LOOKUP_OUTCOME_NOT_FOUND
LOOKUP_OUTCOME_AMBIGUOUS = lookup_pb2.LOOKUP_OUTCOME_AMBIGUOUS
LOOKUP_OUTCOME_DEFERRED = lookup_pb2.LOOKUP_OUTCOME_DEFERRED
LOOKUP_OUTCOME_ERROR = lookup_pb2.LOOKUP_OUTCOME_ERROR

CACHE_POLICY_PREFER_CACHE = lookup_pb2.CACHE_POLICY_PREFER_CACHE
CACHE_POLICY_REFRESH = lookup_pb2.CACHE_POLICY_REFRESH
CACHE_POLICY_CACHE_ONLY = lookup_pb2.CACHE_POLICY_CACHE_ONLY

# The Braze actions (identity.proto, messaging.proto, subscriptions.proto).
ActionResult = actions_pb2.ActionResult
BrazeCall = actions_pb2.BrazeCall
CreateAliasRequest = identity_pb2.CreateAliasRequest
NewUserAlias = identity_pb2.NewUserAlias
IdentifyUsersRequest = identity_pb2.IdentifyUsersRequest
MergeUsersRequest = identity_pb2.MergeUsersRequest
MergeIdentifier = identity_pb2.MergeIdentifier
DeleteUsersRequest = identity_pb2.DeleteUsersRequest
RenameExternalIdsRequest = identity_pb2.RenameExternalIdsRequest
RemoveExternalIdsRequest = identity_pb2.RemoveExternalIdsRequest
IdentityResponse = identity_pb2.IdentityResponse
Recipient = messaging_pb2.Recipient
TriggerCanvasRequest = messaging_pb2.TriggerCanvasRequest
TriggerCampaignRequest = messaging_pb2.TriggerCampaignRequest
TriggerResponse = messaging_pb2.TriggerResponse
SubscriptionGroupStatus = subscriptions_pb2.SubscriptionGroupStatus
SetSubscriptionStatusRequest = subscriptions_pb2.SetSubscriptionStatusRequest
SetSubscriptionStatusResponse = subscriptions_pb2.SetSubscriptionStatusResponse

ACTION_STATUS_ACCEPTED = actions_pb2.ACTION_STATUS_ACCEPTED
ACTION_STATUS_APPLIED = actions_pb2.ACTION_STATUS_APPLIED
ACTION_STATUS_REJECTED_INVALID = actions_pb2.ACTION_STATUS_REJECTED_INVALID
ACTION_STATUS_REJECTED_BY_BRAZE = actions_pb2.ACTION_STATUS_REJECTED_BY_BRAZE
ACTION_STATUS_FAILED = actions_pb2.ACTION_STATUS_FAILED
ACTION_STATUS_DEFERRED = actions_pb2.ACTION_STATUS_DEFERRED
ACTION_STATUS_VALID = actions_pb2.ACTION_STATUS_VALID
ACTION_STATUS_DUPLICATE = actions_pb2.ACTION_STATUS_DUPLICATE

PRIORITIZATION_IDENTIFIED = actions_pb2.PRIORITIZATION_IDENTIFIED
PRIORITIZATION_UNIDENTIFIED = actions_pb2.PRIORITIZATION_UNIDENTIFIED
PRIORITIZATION_MOST_RECENTLY_UPDATED = actions_pb2.PRIORITIZATION_MOST_RECENTLY_UPDATED
PRIORITIZATION_LEAST_RECENTLY_UPDATED = actions_pb2.PRIORITIZATION_LEAST_RECENTLY_UPDATED

SUBSCRIPTION_STATE_SUBSCRIBED = types_pb2.SUBSCRIPTION_STATE_SUBSCRIBED
SUBSCRIPTION_STATE_UNSUBSCRIBED = types_pb2.SUBSCRIPTION_STATE_UNSUBSCRIBED

# BrazeSyncAdmin (admin.proto): the durable outbox and its dead letters.
GetItemStatusRequest = admin_pb2.GetItemStatusRequest
ItemState = admin_pb2.ItemState
ListDeadLettersRequest = admin_pb2.ListDeadLettersRequest
ListDeadLettersResponse = admin_pb2.ListDeadLettersResponse
GetDeadLetterRequest = admin_pb2.GetDeadLetterRequest
DeadLetter = admin_pb2.DeadLetter
ReplayDeadLettersRequest = admin_pb2.ReplayDeadLettersRequest
ReplayDeadLettersResponse = admin_pb2.ReplayDeadLettersResponse
PurgeDeadLettersRequest = admin_pb2.PurgeDeadLettersRequest
PurgeDeadLettersResponse = admin_pb2.PurgeDeadLettersResponse

#: The statuses :func:`~brazesync.all_accepted` counts as "went through".
ACCEPTED_STATUSES = frozenset((ACTION_STATUS_ACCEPTED, ACTION_STATUS_APPLIED,
                               ACTION_STATUS_VALID, ACTION_STATUS_DUPLICATE))
