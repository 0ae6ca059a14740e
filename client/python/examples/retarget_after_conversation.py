"""A conversation action node for intelligent retargeting: when a conversation
ends, it records the user in Braze and puts them into an API-triggered Canvas
with what the conversation collected.

Shaped like the usual action-node template: the platform creates
``RetargetAfterConversation`` and calls ``execute(log, payload, context)``; the
node returns ``{'success': 'true', 'dispatch_id': ...}`` or
``{'success': 'error'}`` so the flow can branch.

1. ONE ``Track`` call carries the profile (first name, email, phone) and a
   ``conversation_ended`` event whose properties are the conversation's
   topic, intent, product and id. The Canvas is triggered only when both were
   delivered: BrazeSync answers Track after Braze accepted it, so the
   Canvas's Liquid sees the updated profile.
2. ONE ``TriggerCanvas`` call for that user, with the conversation as the
   Canvas ``context`` (``{{context.topic}}``, ``{{context.intent}}``,
   ``{{context.product}}``, ``{{context.conversation_id}}`` in Liquid).
   A trigger is not idempotent, so the client never retries it; after a
   timeout or UNAVAILABLE Braze may have sent, and the node reports an error
   without sending again. A result other than ACCEPTED (rejected, failed,
   deferred by the rate pool) is an error too; the warnings Braze's answer
   implies (the user may not exist, the Canvas may be paused) are logged.

Configuration (environment):
    BRAZESYNC_TARGET           host:port of BrazeSync (default 127.0.0.1:50051)
    BRAZESYNC_TIMEOUT          per-attempt deadline in seconds (default 5)
    BRAZESYNC_TOKEN            optional bearer token; with caller auth on, the
                               caller needs the track and messaging roles
    BRAZE_RETARGET_CANVAS_ID   the API-triggered Canvas (or pass canvas_id)
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Mapping, Optional

try:
    import brazesync_client  # noqa: F401
except ImportError:  # run from a checkout: client/python is the parent dir
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from brazesync_client import (ACTION_STATUS_ACCEPTED, BrazeSyncClient, BrazeSyncError,
                              actions_pb2, all_delivered, build_event, build_profile,
                              build_request)

SUCCESS = {"success": "true"}
ERROR = {"success": "error"}

# Payload/context keys accepted for each field, first match wins.
PROFILE_KEYS = {
    "external_id": ("external_id", "user_id", "userId", "customer_id"),
    "first_name": ("first_name", "firstName"),
    "email": ("email", "email_address"),
    "phone": ("phone", "phone_number"),
}
# What the conversation collected: sent as event properties and Canvas context.
CONVERSATION_KEYS = {
    "topic": ("topic", "conversation_topic"),
    "intent": ("intent", "last_intent"),
    "product": ("product", "product_name"),
    "conversation_id": ("conversation_id", "conversationId"),
}


def _log(log: Any, level: str, message: str) -> None:
    method = getattr(log, level, None)
    if callable(method):
        method(message)
    elif callable(log):
        log(f"{level.upper()}: {message}")


def _pick(keys: tuple, *sources: Optional[Mapping[str, Any]]) -> Optional[str]:
    for source in sources:
        for name in keys:
            value = (source or {}).get(name)
            if value not in (None, ""):
                return str(value).strip()
    return None


class RetargetAfterConversation:
    """Tracks the user and a ``conversation_ended`` event, then triggers the
    retargeting Canvas with the conversation as its context."""

    EVENT_NAME = "conversation_ended"

    def __init__(self, canvas_id: Optional[str] = None,
                 client_factory: Optional[Callable[[], BrazeSyncClient]] = None) -> None:
        self.canvas_id = canvas_id or os.environ.get("BRAZE_RETARGET_CANVAS_ID", "")
        self._client_factory = client_factory or (lambda: BrazeSyncClient(
            os.environ.get("BRAZESYNC_TARGET", "127.0.0.1:50051"),
            timeout=float(os.environ.get("BRAZESYNC_TIMEOUT", "5")),
            token=os.environ.get("BRAZESYNC_TOKEN") or None))

    def execute(self, log: Any, payload: Optional[Mapping[str, Any]] = None,
                context: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
        payload, context = payload or {}, context or {}
        profile = {k: _pick(keys, payload, context) for k, keys in PROFILE_KEYS.items()}
        external_id = profile.pop("external_id")
        if not external_id:
            _log(log, "error", "braze: no user id in payload or context (user_id/external_id)")
            return ERROR
        if not self.canvas_id:
            _log(log, "error", "braze: no Canvas configured (BRAZE_RETARGET_CANVAS_ID)")
            return ERROR
        conversation = {k: v for k, v in ((k, _pick(keys, payload, context))
                                          for k, keys in CONVERSATION_KEYS.items()) if v}
        client = self._client_factory()
        try:
            if not self._track(log, client, external_id, profile, conversation):
                return ERROR
            return self._trigger(log, client, external_id, conversation)
        finally:
            client.close()

    def _track(self, log: Any, client: BrazeSyncClient, external_id: str,
               profile: Dict[str, Optional[str]], conversation: Dict[str, str]) -> bool:
        """ONE Track call: the profile and the conversation_ended event."""
        request = build_request(
            attributes=[build_profile(external_id, **profile)],
            events=[build_event(external_id, self.EVENT_NAME, properties=conversation or None)])
        try:
            result = client.track(request)
        except BrazeSyncError as error:
            _log(log, "error", f"braze: track failed: {error}")
            return False
        if not all_delivered(result):
            for item in result.items:
                _log(log, "error", f"braze: track item {item.index} status {item.status}: "
                                   f"{item.braze_error or item.error_message}")
            return False
        _log(log, "info", f"braze: profile and {self.EVENT_NAME} delivered for {external_id}")
        return True

    def _trigger(self, log: Any, client: BrazeSyncClient, external_id: str,
                 conversation: Dict[str, str]) -> Dict[str, str]:
        """ONE TriggerCanvas call with the conversation as the Canvas context."""
        try:
            sent = client.trigger_canvas_for(external_id, self.canvas_id, context=conversation)
        except BrazeSyncError as error:
            # Never resent: a trigger that reached the server may have been
            # sent by Braze (the client makes exactly one attempt).
            _log(log, "error", f"braze: trigger of {self.canvas_id} not confirmed, "
                               f"not retried: {error}")
            return ERROR
        for warning in sent.warnings:
            _log(log, "info", f"braze: trigger warning {warning}")
        if sent.status != ACTION_STATUS_ACCEPTED:
            detail = (sent.result.braze_error or sent.result.error_message or
                      "; ".join(f"{v.field}: {v.description}" for v in sent.result.violations))
            _log(log, "error", f"braze: trigger of {self.canvas_id} for {external_id}: "
                               f"{actions_pb2.ActionStatus.Name(sent.status)}: {detail}")
            return ERROR
        dispatch_id = sent.response.dispatch_ids[0] if sent.response.dispatch_ids else ""
        _log(log, "info", f"braze: Canvas {self.canvas_id} triggered for {external_id} "
                          f"(dispatch_id={dispatch_id})")
        return dict(SUCCESS, dispatch_id=dispatch_id)


if __name__ == "__main__":  # manual run: retarget_after_conversation.py CANVAS USER TOPIC
    import logging
    logging.basicConfig(level=logging.INFO)
    argv = sys.argv[1:] + [None] * 3
    print(RetargetAfterConversation(argv[0]).execute(
        logging.getLogger("braze"), {"user_id": argv[1], "topic": argv[2]}))
