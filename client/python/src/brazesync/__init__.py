"""BrazeSync's Python client: track users, events and purchases into Braze,
look users up, and call the Braze actions (identity, messaging,
subscriptions) through BrazeSync, from blocking code or asyncio.

Quick use::

    from brazesync import BrazeSyncClient, all_delivered
    with BrazeSyncClient.from_env() as client:          # BRAZESYNC_TARGET, BRAZESYNC_TOKEN
        result = client.track_user("user-42", first_name="Ada", dob="1990-12-10")
        found = client.lookup_user("user-42", max_wait=0.3, max_stale=3600)
        sent = client.trigger_canvas_for("user-42", "canvas-id", context={"topic": "upgrade"})

``AsyncBrazeSyncClient`` has the same methods as coroutines. The generated
messages are in ``brazesync.v1`` (``brazesync.v1.brazesync_pb2``...); the
everyday ones are re-exported here. See docs/clients/python.md.
"""

from .aio import AsyncBrazeSyncClient
from .client import BrazeSyncClient
from .builders import (
    add, AliasLike, attribute_value, AttributeLike, build_create_alias_request,
    build_delete_users_request, build_event, build_identify_alias_request,
    build_lookup_request, build_profile, build_purchase, build_recipient, build_request,
    build_subscription_request, build_trigger_campaign_request,
    build_trigger_canvas_request, duration, DurationLike, increment, prioritization,
    PrioritizationLike, recipient_profile, remove, TimeLike, timestamp, user_alias,
    user_ref)
from .errors import (
    BrazeSyncError, decode_status_details)
from .messages import (
    ACCEPTED_STATUSES, ACTION_STATUS_ACCEPTED, ACTION_STATUS_APPLIED,
    ACTION_STATUS_DEFERRED, ACTION_STATUS_DUPLICATE, ACTION_STATUS_FAILED,
    ACTION_STATUS_REJECTED_BY_BRAZE, ACTION_STATUS_REJECTED_INVALID, ACTION_STATUS_VALID,
    ActionResult, AttributeValue, BrazeCall, CACHE_POLICY_CACHE_ONLY,
    CACHE_POLICY_PREFER_CACHE, CACHE_POLICY_REFRESH, CreateAliasRequest, DeadLetter,
    DeleteUsersRequest, DELIVERY_MODE_ASYNC, DELIVERY_MODE_SYNC, Event, ExportedUser,
    GetDeadLetterRequest, GetItemStatusRequest, IdentifyUsersRequest, IdentityResponse,
    ITEM_STATUS_DELIVERED, ITEM_STATUS_QUEUED, ItemResult, ItemState,
    ListDeadLettersRequest, ListDeadLettersResponse, LOOKUP_OUTCOME_AMBIGUOUS,
    LOOKUP_OUTCOME_DEFERRED, LOOKUP_OUTCOME_ERROR, LOOKUP_OUTCOME_FOUND,
    LOOKUP_OUTCOME_NOT_FOUND, LookupResult, LookupUsersRequest, LookupUsersResponse,
    MergeIdentifier, MergeUsersRequest, NewUserAlias, OUTCOME_ACCEPTED, OUTCOME_DELIVERED,
    PRIORITIZATION_IDENTIFIED, PRIORITIZATION_LEAST_RECENTLY_UPDATED,
    PRIORITIZATION_MOST_RECENTLY_UPDATED, PRIORITIZATION_UNIDENTIFIED, Purchase,
    PurgeDeadLettersRequest, PurgeDeadLettersResponse, Recipient,
    RemoveExternalIdsRequest, RenameExternalIdsRequest, ReplayDeadLettersRequest,
    ReplayDeadLettersResponse, SetSubscriptionStatusRequest,
    SetSubscriptionStatusResponse, SUBSCRIPTION_STATE_SUBSCRIBED,
    SUBSCRIPTION_STATE_UNSUBSCRIBED, SubscriptionGroupStatus, TrackRequest, TrackResult,
    TriggerCampaignRequest, TriggerCanvasRequest, TriggerResponse, UserAlias, UserProfile,
    UserRef)
from .results import (
    ActionOutcome, all_accepted, all_delivered, custom_attributes, found_user, UserLookup)

__all__ = [
    "BrazeSyncClient", "AsyncBrazeSyncClient", "BrazeSyncError", "ACCEPTED_STATUSES",
    "ACTION_STATUS_ACCEPTED", "ACTION_STATUS_APPLIED", "ACTION_STATUS_DEFERRED",
    "ACTION_STATUS_DUPLICATE", "ACTION_STATUS_FAILED", "ACTION_STATUS_REJECTED_BY_BRAZE",
    "ACTION_STATUS_REJECTED_INVALID", "ACTION_STATUS_VALID", "ActionOutcome", "ActionResult",
    "add", "AliasLike", "all_accepted", "all_delivered", "attribute_value", "AttributeLike",
    "AttributeValue", "BrazeCall", "build_create_alias_request", "build_delete_users_request",
    "build_event", "build_identify_alias_request", "build_lookup_request", "build_profile",
    "build_purchase", "build_recipient", "build_request", "build_subscription_request",
    "build_trigger_campaign_request", "build_trigger_canvas_request",
    "CACHE_POLICY_CACHE_ONLY", "CACHE_POLICY_PREFER_CACHE", "CACHE_POLICY_REFRESH",
    "CreateAliasRequest", "custom_attributes", "DeadLetter", "decode_status_details",
    "DeleteUsersRequest", "DELIVERY_MODE_ASYNC", "DELIVERY_MODE_SYNC", "duration",
    "DurationLike", "Event", "ExportedUser", "found_user", "GetDeadLetterRequest",
    "GetItemStatusRequest", "IdentifyUsersRequest", "IdentityResponse", "increment",
    "ITEM_STATUS_DELIVERED", "ITEM_STATUS_QUEUED", "ItemResult", "ItemState",
    "ListDeadLettersRequest", "ListDeadLettersResponse", "LOOKUP_OUTCOME_AMBIGUOUS",
    "LOOKUP_OUTCOME_DEFERRED", "LOOKUP_OUTCOME_ERROR", "LOOKUP_OUTCOME_FOUND",
    "LOOKUP_OUTCOME_NOT_FOUND", "LookupResult", "LookupUsersRequest", "LookupUsersResponse",
    "MergeIdentifier", "MergeUsersRequest", "NewUserAlias", "OUTCOME_ACCEPTED",
    "OUTCOME_DELIVERED", "prioritization", "PRIORITIZATION_IDENTIFIED",
    "PRIORITIZATION_LEAST_RECENTLY_UPDATED", "PRIORITIZATION_MOST_RECENTLY_UPDATED",
    "PRIORITIZATION_UNIDENTIFIED", "PrioritizationLike", "Purchase",
    "PurgeDeadLettersRequest", "PurgeDeadLettersResponse", "Recipient", "recipient_profile",
    "remove", "RemoveExternalIdsRequest", "RenameExternalIdsRequest",
    "ReplayDeadLettersRequest", "ReplayDeadLettersResponse", "SetSubscriptionStatusRequest",
    "SetSubscriptionStatusResponse", "SUBSCRIPTION_STATE_SUBSCRIBED",
    "SUBSCRIPTION_STATE_UNSUBSCRIBED", "SubscriptionGroupStatus", "TimeLike", "timestamp",
    "TrackRequest", "TrackResult", "TriggerCampaignRequest", "TriggerCanvasRequest",
    "TriggerResponse", "user_alias", "user_ref", "UserAlias", "UserLookup", "UserProfile",
    "UserRef"
]
