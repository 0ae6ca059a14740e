"""A conversation action node that greets the user from what Braze knows
and sends the user's profile to Braze.

Shaped like the usual action-node template: the platform creates
``BrazeExample`` and calls ``execute(log, payload, context)``; the node returns
``{'success': 'true', 'greeting': ...}`` or ``{'success': 'error'}`` so the
flow can branch (and show the greeting).

1. Contextual greeting: ONE ``LookupUsers`` call by external id, with a small
   latency budget (``max_wait`` 300 ms) and cached data up to an hour old
   allowed when Braze cannot answer in time (``max_stale``). A user whose
   custom attribute ``tier`` is ``"gold"`` gets the VIP greeting; a user found
   otherwise is greeted by first name; not found, deferred (Braze's export
   budget spent or Braze slow), a Braze error or a failed call give the
   generic greeting. The greeting never fails the node.
2. It collects first name, last name, email, date of birth, city and OS from
   ``payload`` (falling back to ``context``), then makes ONE BrazeSync
   ``Track`` call carrying the profile and a ``conversation_completed`` event,
   and branches on the per-item results.

Configuration (environment):
    BRAZESYNC_TARGET   host:port of BrazeSync (default 127.0.0.1:50051)
    BRAZESYNC_TIMEOUT  per-attempt deadline in seconds (default 10)
    BRAZESYNC_TOKEN    optional bearer token; with caller auth on, the caller
                       needs the track role and, for the greeting, the lookup
                       role (without it the greeting is the generic one)
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, Mapping, Optional

import grpc

from brazesync import (LOOKUP_OUTCOME_DEFERRED, LOOKUP_OUTCOME_FOUND, BrazeSyncClient,
                       BrazeSyncError, TrackResult, all_delivered, build_event, build_profile,
                       build_request)
from brazesync import action_node as node
from brazesync.v1 import brazesync_pb2, lookup_pb2

# Payload/context keys accepted for each field, first match wins.
FIELD_KEYS = {
    "external_id": ("external_id", "user_id", "userId", "customer_id"),
    "first_name": ("first_name", "firstName"),
    "last_name": ("last_name", "lastName"),
    "email": ("email", "email_address"),
    "dob": ("dob", "date_of_birth", "dateOfBirth", "birthday"),
    "home_city": ("home_city", "city"),
    "os": ("os", "device_os", "platform"),
}


class BrazeExample:
    """Greets the conversation's user, then tracks the user and a
    ``conversation_completed`` event."""

    EVENT_NAME = "conversation_completed"
    # The lookup behind the greeting: a small latency budget, stale data allowed.
    LOOKUP_MAX_WAIT_S = 0.3
    LOOKUP_MAX_STALE_S = 3600.0
    LOOKUP_TIMEOUT_S = 2.0           # the gRPC deadline, above max_wait
    LOOKUP_FIELDS = ("first_name", "custom_attributes")
    VIP_TIER = "gold"
    VIP_GREETING = "Welcome back, {name}! As a Gold member, you skip the queue."
    KNOWN_GREETING = "Hi {name}, good to see you again! How can I help?"
    GENERIC_GREETING = "Hello! How can I help you today?"

    def __init__(self, client_factory: Optional[Callable[[], BrazeSyncClient]] = None) -> None:
        self._client_factory = client_factory or BrazeSyncClient.from_env

    def execute(self, log: Any, payload: Optional[Mapping[str, Any]] = None,
                context: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
        payload = payload or {}
        context = context or {}
        fields = {key: node.pick(names, payload, context) for key, names in FIELD_KEYS.items()}
        external_id = fields.pop("external_id")
        if not external_id:
            node.log(log, "error", "braze: no user id in payload or context (user_id/external_id)")
            return node.failure()
        os_name = fields.pop("os")
        client = self._client_factory()
        try:
            greeting = self.greeting(log, client, external_id)
            node.log(log, "info", f"braze: greeting for {external_id}: {greeting}")
            result = self._track(log, client, external_id, fields, os_name, payload, context)
        finally:
            client.close()
        if result is None:
            return node.failure()
        if not self._delivered(log, external_id, result):
            return node.failure()
        return node.success(greeting=greeting)

    def greeting(self, log: Any, client: BrazeSyncClient, external_id: str) -> str:
        """The greeting for the user, from one LookupUsers call (never raises)."""
        try:
            found = client.lookup_user(external_id, max_wait=self.LOOKUP_MAX_WAIT_S,
                                       max_stale=self.LOOKUP_MAX_STALE_S,
                                       fields_to_export=self.LOOKUP_FIELDS,
                                       timeout=self.LOOKUP_TIMEOUT_S)
        except BrazeSyncError as error:
            node.log(log, "error", f"braze: lookup failed, generic greeting: {error}")
            return self.GENERIC_GREETING
        if found.outcome != LOOKUP_OUTCOME_FOUND or found.user is None:
            name = lookup_pb2.LookupOutcome.Name(found.outcome)
            if found.outcome == LOOKUP_OUTCOME_DEFERRED:
                retry = found.result.retry_after.ToTimedelta().total_seconds()
                name += f" (retry after {retry:g} s)"
            node.log(log, "info", f"braze: lookup of {external_id}: {name}, generic greeting")
            return self.GENERIC_GREETING
        first_name = found.user.first_name if found.user.HasField("first_name") else ""
        tier = found.custom_attributes.get("tier")
        node.log(log, "info", f"braze: lookup of {external_id}: FOUND (tier={tier!r}, "
                          f"from_cache={found.result.from_cache}, "
                          f"pending_own_write={found.result.pending_own_write})")
        if tier == self.VIP_TIER:
            return self.VIP_GREETING.format(name=first_name or "friend")
        if first_name:
            return self.KNOWN_GREETING.format(name=first_name)
        return self.GENERIC_GREETING

    def _track(self, log: Any, client: BrazeSyncClient, external_id: str,
               fields: Dict[str, Optional[str]], os_name: Optional[str],
               payload: Mapping[str, Any], context: Mapping[str, Any]) -> Optional[TrackResult]:
        """The Track call of the profile and the event; None (logged) on an error."""
        profile = build_profile(external_id, **fields,
                                custom_attributes={"os": os_name} if os_name else None)
        properties: Dict[str, Any] = {}
        if os_name:
            properties["os"] = os_name
        conversation_id = payload.get("conversation_id") or context.get("conversation_id")
        if conversation_id:
            properties["conversation_id"] = str(conversation_id)
        event = build_event(external_id, self.EVENT_NAME, properties=properties or None)
        request = build_request(attributes=[profile], events=[event])
        try:
            return client.track(request)
        except BrazeSyncError as error:
            if error.code == grpc.StatusCode.INVALID_ARGUMENT:
                node.log(log, "error", f"braze: invalid input: {error.message}")
                for field, description in error.violations:
                    node.log(log, "error", f"braze: invalid field {field}: {description}")
            elif error.code == grpc.StatusCode.UNAVAILABLE:
                node.log(log, "error", f"braze: BrazeSync or Braze unavailable after "
                                   f"{error.attempts} attempt(s): {error.message}")
            else:
                node.log(log, "error", f"braze: {error.code.name}: {error.message}")
            return None

    @staticmethod
    def _delivered(log: Any, external_id: str, result: TrackResult) -> bool:
        if all_delivered(result):
            node.log(log, "info", f"braze: profile and {BrazeExample.EVENT_NAME} delivered "
                              f"for {external_id}")
            return True
        for item in result.items:
            if item.status != brazesync_pb2.ITEM_STATUS_DELIVERED:
                node.log(log, "error", "braze: {} #{} {}: {}".format(
                    brazesync_pb2.ItemKind.Name(item.kind), item.index,
                    brazesync_pb2.ItemStatus.Name(item.status), node.result_detail(item)))
        return False


if __name__ == "__main__":  # manual run: python3 braze_action_node.py user-1 Ada ...
    import logging
    logging.basicConfig(level=logging.INFO)
    args = sys.argv[1:] + [None] * 7
    demo_payload = dict(zip(("user_id", "first_name", "last_name", "email", "date_of_birth",
                             "city", "os"), args))
    print(BrazeExample().execute(logging.getLogger("braze"), demo_payload))
