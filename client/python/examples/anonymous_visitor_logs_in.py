"""A conversation action node for anonymous visitors: before login the
visitor is tracked in Braze under a user alias; when they log in, the alias
profile is identified as the user's external id, so what was recorded
anonymously ends up on the known user.

Shaped like the usual action-node template: the platform creates
``AnonymousVisitorLogsIn`` and calls ``execute(log, payload, context)`` on
every turn; the node returns ``{'success': 'true', 'step': ...}`` or
``{'success': 'error'}``.

- No user id yet (``payload``/``context`` has only a visitor id): ONE
  ``Track`` call by ``user_alias`` (label ``chat_visitor``, name the visitor
  id) with ``update_existing_only`` false, so Braze creates the alias-only
  profile, carrying what the visitor told (first name, language) and a
  ``chat_started`` event. Returns ``step: "tracked_anonymous"``.
- A user id too (the visitor logged in): ONE ``IdentifyUsers`` call, alias
  -> external id. Braze merges the alias-only profile into the user (it
  answers success even when the alias matched nothing: the result is
  ACCEPTED, with the warning logged). Returns ``step: "identified"``.
  Identifying again is harmless, so the client may retry UNAVAILABLE.

Configuration (environment):
    BRAZESYNC_TARGET   host:port of BrazeSync (default 127.0.0.1:50051)
    BRAZESYNC_TIMEOUT  per-attempt deadline in seconds (default 10)
    BRAZESYNC_TOKEN    optional bearer token; with caller auth on, the caller
                       needs the track and identity roles
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, Mapping, Optional

from brazesync import (BrazeSyncClient, BrazeSyncError, UserAlias, UserRef, all_delivered,
                       build_event, build_profile, build_request)
from brazesync import action_node as node
from brazesync.v1 import actions_pb2

KEYS = {
    "visitor_id": ("visitor_id", "visitorId", "anonymous_id", "session_user"),
    "external_id": ("external_id", "user_id", "userId", "customer_id"),
    "first_name": ("first_name", "firstName"),
    "language": ("language", "locale"),
}


class AnonymousVisitorLogsIn:
    """Tracks an anonymous visitor under an alias; identifies the alias on login."""

    ALIAS_LABEL = "chat_visitor"
    EVENT_NAME = "chat_started"

    def __init__(self, client_factory: Optional[Callable[[], BrazeSyncClient]] = None) -> None:
        self._client_factory = client_factory or BrazeSyncClient.from_env

    def execute(self, log: Any, payload: Optional[Mapping[str, Any]] = None,
                context: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
        payload, context = payload or {}, context or {}
        visitor_id = node.pick(KEYS["visitor_id"], payload, context)
        if not visitor_id:
            node.log(log, "error", "braze: no visitor id in payload or context (visitor_id)")
            return node.failure()
        external_id = node.pick(KEYS["external_id"], payload, context)
        client = self._client_factory()
        try:
            if external_id:
                return self.identify(log, client, visitor_id, external_id)
            return self.track_visitor(log, client, visitor_id,
                                      first_name=node.pick(KEYS["first_name"], payload, context),
                                      language=node.pick(KEYS["language"], payload, context))
        finally:
            client.close()

    def track_visitor(self, log: Any, client: BrazeSyncClient, visitor_id: str, *,
                      first_name: Optional[str] = None,
                      language: Optional[str] = None) -> Dict[str, str]:
        """ONE Track call by alias: the alias-only profile and a chat_started event."""
        alias = UserRef(user_alias=UserAlias(alias_label=self.ALIAS_LABEL,
                                             alias_name=visitor_id))
        # Braze updates only existing alias profiles by default; false creates it.
        profile = build_profile(user=alias, first_name=first_name, language=language,
                                update_existing_only=False)
        event = build_event(user=alias, name=self.EVENT_NAME)
        event.update_existing_only = False
        try:
            result = client.track(build_request(attributes=[profile], events=[event]))
        except BrazeSyncError as error:
            node.log(log, "error", f"braze: track of visitor {visitor_id} failed: {error}")
            return node.failure()
        if not all_delivered(result):
            node.log(log, "error", f"braze: track of visitor {visitor_id} not delivered: {result}")
            return node.failure()
        node.log(log, "info", f"braze: visitor {visitor_id} tracked under alias "
                          f"{self.ALIAS_LABEL}:{visitor_id}")
        return node.success(step="tracked_anonymous")

    def identify(self, log: Any, client: BrazeSyncClient, visitor_id: str,
                 external_id: str) -> Dict[str, str]:
        """ONE IdentifyUsers call: the visitor's alias profile becomes external_id's."""
        try:
            outcome = client.identify_alias(external_id, self.ALIAS_LABEL, visitor_id)
        except BrazeSyncError as error:
            node.log(log, "error", f"braze: identify of visitor {visitor_id} failed: {error}")
            return node.failure()
        for warning in outcome.warnings:
            node.log(log, "info", f"braze: identify warning {warning}")
        if not outcome.accepted:
            detail = node.result_detail(outcome.result)
            node.log(log, "error", f"braze: identify of visitor {visitor_id} as {external_id}: "
                               f"{actions_pb2.ActionStatus.Name(outcome.status)}: {detail}")
            return node.failure()
        node.log(log, "info", f"braze: visitor {visitor_id} identified as {external_id}")
        return node.success(step="identified")


if __name__ == "__main__":  # manual run: anonymous_visitor_logs_in.py VISITOR [USER_ID]
    import logging
    logging.basicConfig(level=logging.INFO)
    argv = sys.argv[1:] + [None] * 2
    print(AnonymousVisitorLogsIn().execute(logging.getLogger("braze"),
                                           {"visitor_id": argv[0], "user_id": argv[1]}))
