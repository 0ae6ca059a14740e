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
    BRAZESYNC_TIMEOUT          per-attempt deadline in seconds (default 10)
    BRAZESYNC_TOKEN            optional bearer token; with caller auth on, the
                               caller needs the track and messaging roles
    BRAZE_RETARGET_CANVAS_ID   the API-triggered Canvas (or pass canvas_id)
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Mapping, Optional

from brazesync import (ACTION_STATUS_ACCEPTED, BrazeSyncClient, BrazeSyncError, all_delivered,
                       build_event, build_profile, build_request)
from brazesync import action_node as node
from brazesync.v1 import actions_pb2

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


class RetargetAfterConversation:
    """Tracks the user and a ``conversation_ended`` event, then triggers the
    retargeting Canvas with the conversation as its context."""

    EVENT_NAME = "conversation_ended"

    def __init__(self, canvas_id: Optional[str] = None,
                 client_factory: Optional[Callable[[], BrazeSyncClient]] = None) -> None:
        self.canvas_id = canvas_id or os.environ.get("BRAZE_RETARGET_CANVAS_ID", "")
        self._client_factory = client_factory or BrazeSyncClient.from_env

    def execute(self, log: Any, payload: Optional[Mapping[str, Any]] = None,
                context: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
        payload, context = payload or {}, context or {}
        profile = {k: node.pick(keys, payload, context) for k, keys in PROFILE_KEYS.items()}
        external_id = profile.pop("external_id")
        if not external_id:
            node.log(log, "error", "braze: no user id in payload or context (user_id/external_id)")
            return node.failure()
        if not self.canvas_id:
            node.log(log, "error", "braze: no Canvas configured (BRAZE_RETARGET_CANVAS_ID)")
            return node.failure()
        conversation = {k: v for k, v in ((k, node.pick(keys, payload, context))
                                          for k, keys in CONVERSATION_KEYS.items()) if v}
        client = self._client_factory()
        try:
            if not self._track(log, client, external_id, profile, conversation):
                return node.failure()
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
            node.log(log, "error", f"braze: track failed: {error}")
            return False
        if not all_delivered(result):
            for item in result.items:
                node.log(log, "error", f"braze: track item {item.index} status {item.status}: "
                                       f"{node.result_detail(item)}")
            return False
        node.log(log, "info", f"braze: profile and {self.EVENT_NAME} delivered for {external_id}")
        return True

    def _trigger(self, log: Any, client: BrazeSyncClient, external_id: str,
                 conversation: Dict[str, str]) -> Dict[str, str]:
        """ONE TriggerCanvas call with the conversation as the Canvas context."""
        try:
            sent = client.trigger_canvas_for(external_id, self.canvas_id, context=conversation)
        except BrazeSyncError as error:
            # Never resent: a trigger that reached the server may have been
            # sent by Braze (the client makes exactly one attempt).
            node.log(log, "error", f"braze: trigger of {self.canvas_id} not confirmed, "
                               f"not retried: {error}")
            return node.failure()
        for warning in sent.warnings:
            node.log(log, "info", f"braze: trigger warning {warning}")
        if sent.status != ACTION_STATUS_ACCEPTED:
            detail = node.result_detail(sent.result)
            node.log(log, "error", f"braze: trigger of {self.canvas_id} for {external_id}: "
                               f"{actions_pb2.ActionStatus.Name(sent.status)}: {detail}")
            return node.failure()
        dispatch_id = sent.response.dispatch_ids[0] if sent.response.dispatch_ids else ""
        node.log(log, "info", f"braze: Canvas {self.canvas_id} triggered for {external_id} "
                          f"(dispatch_id={dispatch_id})")
        return node.success(dispatch_id=dispatch_id)


if __name__ == "__main__":  # manual run: retarget_after_conversation.py CANVAS USER TOPIC
    import logging
    logging.basicConfig(level=logging.INFO)
    argv = sys.argv[1:] + [None] * 3
    print(RetargetAfterConversation(argv[0]).execute(
        logging.getLogger("braze"), {"user_id": argv[1], "topic": argv[2]}))
