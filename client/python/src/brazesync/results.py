"""Reading results: per-item outcomes of Track and the Braze actions, and the
users a lookup found. Shared by both clients."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional

import grpc
from google.protobuf import json_format

from .errors import BrazeSyncError
from .messages import (ACCEPTED_STATUSES, ITEM_STATUS_DELIVERED, LOOKUP_OUTCOME_AMBIGUOUS,
                       LOOKUP_OUTCOME_FOUND)
from .v1 import actions_pb2, brazesync_pb2, lookup_pb2


def found_user(response: lookup_pb2.LookupUsersResponse,
               result: lookup_pb2.LookupResult) -> Optional[lookup_pb2.ExportedUser]:
    """The user ``result`` found (the first one when AMBIGUOUS), else ``None``."""
    if result.outcome not in (LOOKUP_OUTCOME_FOUND, LOOKUP_OUTCOME_AMBIGUOUS):
        return None
    if not result.user_indexes or not 0 <= result.user_indexes[0] < len(response.users):
        return None
    return response.users[result.user_indexes[0]]


def custom_attributes(user: Optional[lookup_pb2.ExportedUser]) -> Dict[str, Any]:
    """An exported user's custom attributes as a plain dict (``{}`` for ``None``).

    Numbers come back as floats (JSON has one number type).
    """
    if user is None or not user.HasField("custom_attributes"):
        return {}
    return json_format.MessageToDict(user.custom_attributes)


def all_accepted(response: Any) -> bool:
    """True when an action response (``IdentityResponse``, ``TriggerResponse``,
    ``SetSubscriptionStatusResponse``) has results and every one went through:
    ACCEPTED, APPLIED, VALID (validate_only) or DUPLICATE. ACCEPTED means
    Braze took the item, not that its effect is visible yet (see ``warnings``)."""
    return len(response.results) > 0 and all(
        r.status in ACCEPTED_STATUSES for r in response.results)


class ActionOutcome(NamedTuple):
    """The first result of an action call made by a convenience method
    (``identify_alias``, ``trigger_canvas_for``...)."""

    #: An ``ACTION_STATUS_*`` value.
    status: int
    #: The ``ActionResult`` (``warnings``, ``braze_error``, ``retryable``...).
    result: actions_pb2.ActionResult
    #: The whole response.
    response: Any

    @property
    def accepted(self) -> bool:
        """ACCEPTED, APPLIED, VALID or DUPLICATE."""
        return self.status in ACCEPTED_STATUSES

    @property
    def status_name(self) -> str:
        return actions_pb2.ActionStatus.Name(self.status)

    @property
    def warnings(self) -> List[str]:
        """The warnings' names, e.g. ``["ACTION_WARNING_SUCCESS_MAY_BE_NOOP"]``."""
        return [actions_pb2.ActionWarning.Name(w) for w in self.result.warnings]


def first_outcome(response: Any, rpc: str) -> ActionOutcome:
    """The :class:`ActionOutcome` of a one-item action call (``rpc`` names it
    in the error raised when the server answered no result)."""
    if not response.results:
        raise BrazeSyncError(grpc.StatusCode.INTERNAL, f"{rpc} answered no result")
    result = response.results[0]
    return ActionOutcome(result.status, result, response)


class UserLookup(NamedTuple):
    """What ``lookup_user`` found for one identifier."""

    #: A ``LOOKUP_OUTCOME_*`` value.
    outcome: int
    #: The ``ExportedUser`` (FOUND, or the first user when AMBIGUOUS), else ``None``.
    user: Optional[lookup_pb2.ExportedUser]
    #: The identifier's ``LookupResult`` (``from_cache``, ``retry_after``...).
    result: lookup_pb2.LookupResult
    #: The whole ``LookupUsersResponse``.
    response: lookup_pb2.LookupUsersResponse

    @property
    def found(self) -> bool:
        return self.outcome == LOOKUP_OUTCOME_FOUND

    @property
    def custom_attributes(self) -> Dict[str, Any]:
        return custom_attributes(self.user)


def first_lookup(response: lookup_pb2.LookupUsersResponse) -> UserLookup:
    """The :class:`UserLookup` of a one-identifier ``LookupUsers`` call."""
    if not response.results:
        raise BrazeSyncError(grpc.StatusCode.INTERNAL, "LookupUsers answered no result")
    result = response.results[0]
    return UserLookup(result.outcome, found_user(response, result), result, response)


def all_delivered(result: brazesync_pb2.TrackResult) -> bool:
    """True when the result has items and every one is ``ITEM_STATUS_DELIVERED``."""
    return len(result.items) > 0 and all(
        item.status == ITEM_STATUS_DELIVERED for item in result.items)


# ---------------------------------------------------------------------------
# The client.
