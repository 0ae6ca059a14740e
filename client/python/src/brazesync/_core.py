"""What the sync and asyncio clients share, so each fact has one home: the
table of every rpc (its path, message types and whether UNAVAILABLE may be
retried), the retry policy, and the client settings (per-attempt deadline,
bearer token, TLS credentials, reading them from the environment).

The two clients differ only in how they wait (a blocking call and
``time.sleep`` against ``await`` and ``asyncio.sleep``).
"""

from __future__ import annotations

import math
import os
import random
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

import grpc

from .errors import status_code
from .v1 import (admin_pb2, brazesync_pb2, identity_pb2, lookup_pb2, messaging_pb2,
                 subscriptions_pb2)

#: Where the clients connect when neither ``target`` nor ``$BRAZESYNC_TARGET`` says.
DEFAULT_TARGET = "127.0.0.1:50051"


class Rpc(NamedTuple):
    """One rpc of a BrazeSync service."""

    service: str
    method: str
    request_type: Any
    response_type: Any
    #: Sending it again has no further effect, so UNAVAILABLE may be retried.
    #: False for triggers (Braze may already have sent the message) and streams.
    retry_unavailable: bool
    #: Bidirectional stream (TrackStream); every other rpc is unary.
    streaming: bool = False

    @property
    def path(self) -> str:
        return f"/brazesync.v1.{self.service}/{self.method}"

    def bind(self, channel: Any) -> Any:
        """This rpc's multi-callable on a ``grpc`` or ``grpc.aio`` channel (both
        offer the same ``unary_unary`` / ``stream_stream`` factories)."""
        factory = channel.stream_stream if self.streaming else channel.unary_unary
        return factory(self.path, request_serializer=self.request_type.SerializeToString,
                       response_deserializer=self.response_type.FromString)


_TRACK_REQ, _TRACK_RES = brazesync_pb2.TrackRequest, brazesync_pb2.TrackResult
_IDENTITY_RES = identity_pb2.IdentityResponse
_TRIGGER_RES = messaging_pb2.TriggerResponse

TRACK = Rpc("BrazeSync", "Track", _TRACK_REQ, _TRACK_RES, True)
TRACK_STREAM = Rpc("BrazeSync", "TrackStream", _TRACK_REQ, _TRACK_RES, False, streaming=True)
GET_ITEM_STATUS = Rpc("BrazeSyncAdmin", "GetItemStatus", admin_pb2.GetItemStatusRequest,
                      admin_pb2.ItemState, True)
LIST_DEAD_LETTERS = Rpc("BrazeSyncAdmin", "ListDeadLetters", admin_pb2.ListDeadLettersRequest,
                        admin_pb2.ListDeadLettersResponse, True)
GET_DEAD_LETTER = Rpc("BrazeSyncAdmin", "GetDeadLetter", admin_pb2.GetDeadLetterRequest,
                      admin_pb2.DeadLetter, True)
# Replaying or purging twice finds the letters already gone: no further effect.
REPLAY_DEAD_LETTERS = Rpc("BrazeSyncAdmin", "ReplayDeadLetters",
                          admin_pb2.ReplayDeadLettersRequest,
                          admin_pb2.ReplayDeadLettersResponse, True)
PURGE_DEAD_LETTERS = Rpc("BrazeSyncAdmin", "PurgeDeadLetters", admin_pb2.PurgeDeadLettersRequest,
                         admin_pb2.PurgeDeadLettersResponse, True)
LOOKUP_USERS = Rpc("BrazeLookup", "LookupUsers", lookup_pb2.LookupUsersRequest,
                   lookup_pb2.LookupUsersResponse, True)
CREATE_ALIAS = Rpc("BrazeIdentity", "CreateAlias", identity_pb2.CreateAliasRequest,
                   _IDENTITY_RES, True)
IDENTIFY_USERS = Rpc("BrazeIdentity", "IdentifyUsers", identity_pb2.IdentifyUsersRequest,
                     _IDENTITY_RES, True)
MERGE_USERS = Rpc("BrazeIdentity", "MergeUsers", identity_pb2.MergeUsersRequest,
                  _IDENTITY_RES, True)
DELETE_USERS = Rpc("BrazeIdentity", "DeleteUsers", identity_pb2.DeleteUsersRequest,
                   _IDENTITY_RES, True)
RENAME_EXTERNAL_IDS = Rpc("BrazeIdentity", "RenameExternalIds",
                          identity_pb2.RenameExternalIdsRequest, _IDENTITY_RES, True)
REMOVE_EXTERNAL_IDS = Rpc("BrazeIdentity", "RemoveExternalIds",
                          identity_pb2.RemoveExternalIdsRequest, _IDENTITY_RES, True)
# A Braze trigger is not idempotent: after UNAVAILABLE (or a deadline) the
# request may have reached the server and Braze may have sent the message.
TRIGGER_CANVAS = Rpc("BrazeMessaging", "TriggerCanvas", messaging_pb2.TriggerCanvasRequest,
                     _TRIGGER_RES, False)
TRIGGER_CAMPAIGN = Rpc("BrazeMessaging", "TriggerCampaign", messaging_pb2.TriggerCampaignRequest,
                       _TRIGGER_RES, False)
SET_SUBSCRIPTION_STATUS = Rpc("BrazeSubscriptions", "SetSubscriptionStatus",
                              subscriptions_pb2.SetSubscriptionStatusRequest,
                              subscriptions_pb2.SetSubscriptionStatusResponse, True)

#: Every rpc the clients call; the tests check it against the protos' services.
RPCS: Tuple[Rpc, ...] = (
    TRACK, TRACK_STREAM, GET_ITEM_STATUS, LIST_DEAD_LETTERS, GET_DEAD_LETTER,
    REPLAY_DEAD_LETTERS, PURGE_DEAD_LETTERS, LOOKUP_USERS, CREATE_ALIAS, IDENTIFY_USERS,
    MERGE_USERS, DELETE_USERS, RENAME_EXTERNAL_IDS, REMOVE_EXTERNAL_IDS, TRIGGER_CANVAS,
    TRIGGER_CAMPAIGN, SET_SUBSCRIPTION_STATUS)


class RetryPolicy:
    """Which failures are attempted again, and how long to wait first.

    Only ``UNAVAILABLE`` is retried, and only for rpcs whose
    :attr:`Rpc.retry_unavailable` is set: the server answers it when nothing
    was accepted (Braze unreachable, or the connection never made), so
    sending again is safe. ``DEADLINE_EXCEEDED`` is never retried: items may
    already have been recorded. The wait is exponential backoff with full
    jitter: uniform in ``[0, min(backoff_max, backoff_initial * 2**(n-1))]``
    after attempt ``n``.
    """

    def __init__(self, max_attempts: int, backoff_initial: float, backoff_max: float,
                 uniform: Callable[[float, float], float] = random.uniform) -> None:
        if max_attempts < 1:
            raise ValueError("retries (the maximum number of attempts) must be at least 1")
        if backoff_initial < 0 or backoff_max < 0:
            raise ValueError("backoff_initial and backoff_max must not be negative")
        self.max_attempts = int(max_attempts)
        self.backoff_initial = float(backoff_initial)
        self.backoff_max = float(backoff_max)
        self._uniform = uniform

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        return self._uniform(0, ceiling) if ceiling > 0 else 0.0

    def delay_before_retry(self, rpc: Rpc, error: grpc.RpcError, attempt: int) -> Optional[float]:
        """Seconds to wait before attempting ``rpc`` again after ``error`` ended
        attempt ``attempt``, or ``None`` to give up and raise."""
        if (not rpc.retry_unavailable or attempt >= self.max_attempts
                or status_code(error) != grpc.StatusCode.UNAVAILABLE):
            return None
        return self.backoff(attempt)


class Settings(NamedTuple):
    """A client's validated options, independent of the channel flavour."""

    target: str
    #: The deadline of each attempt, in seconds.
    timeout: float
    #: ``(("authorization", "Bearer ..."),)`` or empty.
    metadata: Tuple[Tuple[str, str], ...]
    #: TLS credentials, or None for a plaintext channel.
    credentials: Optional[grpc.ChannelCredentials]
    channel_options: Tuple[Tuple[str, Any], ...]
    retry: RetryPolicy

    def attempt_timeout(self, timeout: Optional[float]) -> float:
        """The deadline of one attempt: ``timeout`` when given, else the client's."""
        value = self.timeout if timeout is None else float(timeout)
        if not math.isfinite(value) or value <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        return value

    def call_metadata(self) -> Optional[Tuple[Tuple[str, str], ...]]:
        return self.metadata or None


def make_settings(target: str, *, timeout: float, retries: int, tls: bool,
                  root_certificates: Optional[bytes], token: Optional[str],
                  backoff_initial: float, backoff_max: float,
                  channel_options: Sequence[Tuple[str, Any]]) -> Settings:
    """Validates the constructor options both clients take."""
    if not target:
        raise ValueError("target must be host:port of the BrazeSync server")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError("timeout must be a positive number of seconds")
    credentials = (grpc.ssl_channel_credentials(root_certificates=root_certificates)
                   if tls or root_certificates is not None else None)
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    return Settings(target, float(timeout), metadata, credentials, tuple(channel_options),
                    RetryPolicy(retries, backoff_initial, backoff_max))


def options_from_env(environ: Mapping[str, str] = os.environ) -> Dict[str, Any]:
    """The client options the environment sets: ``BRAZESYNC_TARGET`` (default
    127.0.0.1:50051), the bearer token from ``BRAZESYNC_TOKEN`` or else the
    file ``BRAZESYNC_TOKEN_FILE`` names (secrets come from the environment or
    files, never from code or flags, as for the CLI) and ``BRAZESYNC_TIMEOUT``
    (seconds per attempt)."""
    options: Dict[str, Any] = {"target": environ.get("BRAZESYNC_TARGET") or DEFAULT_TARGET}
    if environ.get("BRAZESYNC_TOKEN"):
        options["token"] = environ["BRAZESYNC_TOKEN"]
    elif environ.get("BRAZESYNC_TOKEN_FILE"):
        with open(environ["BRAZESYNC_TOKEN_FILE"]) as f:
            options["token"] = f.read().strip()
    if environ.get("BRAZESYNC_TIMEOUT"):
        try:
            options["timeout"] = float(environ["BRAZESYNC_TIMEOUT"])
        except ValueError:
            raise ValueError("BRAZESYNC_TIMEOUT must be a number of seconds, got "
                             f"{environ['BRAZESYNC_TIMEOUT']!r}") from None
    return options
