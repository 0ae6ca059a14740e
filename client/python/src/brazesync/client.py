"""The blocking client: every rpc of every BrazeSync service over one gRPC
channel. :mod:`brazesync.aio` has the same methods for asyncio.

Each method here only forwards: the request is built by :mod:`brazesync.builders`,
the retry decision is :class:`brazesync._core.RetryPolicy`'s, and a failure
becomes :class:`~brazesync.BrazeSyncError` in :mod:`brazesync.errors`.
"""

from __future__ import annotations

import time as _time
from typing import (Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Sequence,
                    Tuple, Union)

import grpc

from . import _core
from .builders import (TimeLike, build_create_alias_request, build_delete_users_request,
                       build_event, build_identify_alias_request, build_lookup_request,
                       build_profile, build_purchase, build_recipient, build_request,
                       build_subscription_request, build_trigger_campaign_request,
                       build_trigger_canvas_request)
from .errors import BrazeSyncError
from .results import ActionOutcome, UserLookup, first_lookup, first_outcome
from .v1 import (admin_pb2, brazesync_pb2, identity_pb2, lookup_pb2, messaging_pb2,
                 subscriptions_pb2, types_pb2)

ProfileLike = Union[None, types_pb2.UserProfile, Mapping[str, Any]]


class BrazeSyncClient:
    """Calls every rpc of BrazeSync's services over one gRPC channel.

    Example::

        with BrazeSyncClient.from_env() as client:
            result = client.track_user("user-42", first_name="Ada")
            assert all_delivered(result)

    Args:
        target: ``host:port`` of the BrazeSync server.
        timeout: the deadline of each attempt, in seconds.
        retries: the maximum number of attempts per call, the first included
            (``retries=1`` never retries). Only ``UNAVAILABLE`` is retried,
            with exponential backoff and full jitter: nothing was accepted
            then, so resending is safe. Triggers (``trigger_canvas``,
            ``trigger_campaign``) and ``track_stream`` are never retried: a
            trigger that reached the server may have been sent by Braze.
        tls: use TLS (``grpc.ssl_channel_credentials``).
        root_certificates: PEM root certificates for TLS; ``None`` uses the
            system roots. Setting it implies ``tls=True``.
        token: sent with every call as ``authorization: Bearer <token>``.
            Read it from the environment or a file (see :meth:`from_env`).
        backoff_initial: the first backoff ceiling, in seconds.
        backoff_max: the largest backoff ceiling, in seconds.
        interceptors: ``grpc`` client interceptors (e.g. metrics, tracing);
            each attempt passes through them.
        channel_options: extra ``grpc`` channel options.
        channel: use this channel instead of creating one (tls,
            root_certificates and channel_options are then ignored); it is
            not closed by :meth:`close`.
        sleep: how to wait between attempts (tests pass a recorder).
    """

    def __init__(self, target: str, *, timeout: float = 10.0, retries: int = 3,
                 tls: bool = False, root_certificates: Optional[bytes] = None,
                 token: Optional[str] = None,
                 backoff_initial: float = 0.1, backoff_max: float = 2.0,
                 interceptors: Sequence[Any] = (),
                 channel_options: Sequence[Tuple[str, Any]] = (),
                 channel: Optional[grpc.Channel] = None,
                 sleep: Callable[[float], None] = _time.sleep) -> None:
        self._settings = _core.make_settings(
            target, timeout=timeout, retries=retries, tls=tls,
            root_certificates=root_certificates, token=token, backoff_initial=backoff_initial,
            backoff_max=backoff_max, channel_options=channel_options)
        self._sleep = sleep
        self._owns_channel = channel is None
        if channel is None:
            options = list(self._settings.channel_options)
            creds = self._settings.credentials
            channel = (grpc.secure_channel(target, creds, options=options) if creds
                       else grpc.insecure_channel(target, options=options))
        self._raw_channel = channel
        intercepted = grpc.intercept_channel(channel, *interceptors) if interceptors else channel
        self._callables: Dict[_core.Rpc, Any] = {rpc: rpc.bind(intercepted) for rpc in _core.RPCS}

    @classmethod
    def from_env(cls, **options: Any) -> "BrazeSyncClient":
        """A client configured by ``BRAZESYNC_TARGET`` (default
        ``127.0.0.1:50051``), ``BRAZESYNC_TOKEN`` (or ``BRAZESYNC_TOKEN_FILE``)
        and ``BRAZESYNC_TIMEOUT``; ``options`` (any constructor keyword) win
        over the environment."""
        merged = dict(_core.options_from_env(), **options)
        return cls(merged.pop("target"), **merged)

    @property
    def target(self) -> str:
        return self._settings.target

    @property
    def timeout(self) -> float:
        """The deadline of each attempt, in seconds."""
        return self._settings.timeout

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the channel (if the client created it)."""
        if self._owns_channel:
            self._raw_channel.close()

    def __enter__(self) -> "BrazeSyncClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- BrazeSync: Track, TrackStream ---------------------------------------

    def track(self, request: brazesync_pb2.TrackRequest, *,
              timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        """``BrazeSync.Track``: sends a ``TrackRequest`` (see
        :func:`~brazesync.build_request`), returns the ``TrackResult`` with
        one ``ItemResult`` per item.

        Raises:
            BrazeSyncError: on any non-OK status, after retrying
                ``UNAVAILABLE`` up to the attempt budget.
        """
        return self._unary(_core.TRACK, request, timeout)

    def track_stream(self, requests: Iterable[brazesync_pb2.TrackRequest], *,
                     timeout: Optional[float] = None) -> Iterator[brazesync_pb2.TrackResult]:
        """``BrazeSync.TrackStream``: one ``TrackResult`` per request, in order,
        over one stream (for high-volume producers). A request Track would
        reject comes back with ``TrackResult.error`` set and the stream goes on.

        The stream opens when iteration starts and is cancelled if iteration
        stops early. ``timeout`` bounds the whole stream (default: none).
        Never retried. A stream that fails raises :class:`BrazeSyncError`.
        """
        call = self._callables[_core.TRACK_STREAM](
            iter(requests), timeout=timeout, metadata=self._settings.call_metadata())
        try:
            yield from call
        except grpc.RpcError as error:
            raise BrazeSyncError.from_rpc_error(error) from error
        finally:
            call.cancel()  # no-op once the stream has ended

    def track_user(self, external_id: Optional[str] = None, *,
                   workspace: Optional[str] = None,
                   timeout: Optional[float] = None,
                   **profile_fields: Any) -> brazesync_pb2.TrackResult:
        """Creates or updates one profile.

        ``external_id`` and ``profile_fields`` go to
        :func:`~brazesync.build_profile`, which defines the accepted keywords
        (``user``, ``first_name``, ``email``, ``dob``, ``custom_attributes``,
        ``update_existing_only``...); an unknown keyword raises ``TypeError``
        naming it, before anything is sent.
        """
        profile = build_profile(external_id, **profile_fields)
        return self.track(build_request(attributes=[profile], workspace=workspace),
                          timeout=timeout)

    def track_event(self, external_id: Optional[str] = None, name: str = "",
                    properties: Optional[Mapping[str, Any]] = None,
                    time: TimeLike = None, event_id: Optional[str] = None, *,
                    user: Optional[types_pb2.UserRef] = None,
                    app_id: Optional[str] = None,
                    workspace: Optional[str] = None,
                    timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        """Records one custom event; see :func:`~brazesync.build_event`."""
        event = build_event(external_id, name, user=user, properties=properties, time=time,
                            event_id=event_id, app_id=app_id)
        return self.track(build_request(events=[event], workspace=workspace), timeout=timeout)

    def track_purchase(self, external_id: Optional[str] = None, product_id: str = "",
                       currency: str = "", price: float = 0.0, *,
                       user: Optional[types_pb2.UserRef] = None,
                       quantity: Optional[int] = None,
                       properties: Optional[Mapping[str, Any]] = None,
                       time: TimeLike = None,
                       purchase_id: Optional[str] = None,
                       app_id: Optional[str] = None,
                       workspace: Optional[str] = None,
                       timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        """Records one purchase; see :func:`~brazesync.build_purchase`."""
        purchase = build_purchase(external_id, product_id, currency, price, user=user,
                                  quantity=quantity, properties=properties, time=time,
                                  purchase_id=purchase_id, app_id=app_id)
        return self.track(build_request(purchases=[purchase], workspace=workspace),
                          timeout=timeout)

    # -- BrazeSyncAdmin: the durable outbox and its dead letters -------------
    # Needs a server with --data_dir (else FAILED_PRECONDITION) and the admin role.

    def get_item_status(self, request: admin_pb2.GetItemStatusRequest, *,
                        timeout: Optional[float] = None) -> admin_pb2.ItemState:
        """``BrazeSyncAdmin.GetItemStatus``: where an event or purchase is, by
        its ``event_id`` / ``purchase_id`` (NOT_FOUND if never accepted)."""
        return self._unary(_core.GET_ITEM_STATUS, request, timeout)

    def list_dead_letters(self, request: admin_pb2.ListDeadLettersRequest, *,
                          timeout: Optional[float] = None) -> admin_pb2.ListDeadLettersResponse:
        """``BrazeSyncAdmin.ListDeadLetters``: one page, oldest first; follow
        ``next_after_id`` (as ``after_id``) until it is 0."""
        return self._unary(_core.LIST_DEAD_LETTERS, request, timeout)

    def get_dead_letter(self, request: admin_pb2.GetDeadLetterRequest, *,
                        timeout: Optional[float] = None) -> admin_pb2.DeadLetter:
        """``BrazeSyncAdmin.GetDeadLetter``: one letter, payload and attempts."""
        return self._unary(_core.GET_DEAD_LETTER, request, timeout)

    def replay_dead_letters(self, request: admin_pb2.ReplayDeadLettersRequest, *,
                            timeout: Optional[float] = None
                            ) -> admin_pb2.ReplayDeadLettersResponse:
        """``BrazeSyncAdmin.ReplayDeadLetters``: back to the outbox for delivery."""
        return self._unary(_core.REPLAY_DEAD_LETTERS, request, timeout)

    def purge_dead_letters(self, request: admin_pb2.PurgeDeadLettersRequest, *,
                           timeout: Optional[float] = None
                           ) -> admin_pb2.PurgeDeadLettersResponse:
        """``BrazeSyncAdmin.PurgeDeadLetters``: deletes letters for good."""
        return self._unary(_core.PURGE_DEAD_LETTERS, request, timeout)

    # -- BrazeLookup ---------------------------------------------------------

    def lookup_users(self, request: lookup_pb2.LookupUsersRequest, *,
                     timeout: Optional[float] = None) -> lookup_pb2.LookupUsersResponse:
        """``BrazeLookup.LookupUsers`` (see :func:`~brazesync.build_lookup_request`).

        One ``LookupResult`` per identifier (``outcome`` FOUND, NOT_FOUND,
        AMBIGUOUS, DEFERRED or ERROR: Braze being slow or down is an outcome,
        never an exception) and the users found. ``timeout`` is the deadline
        of each attempt; keep it above the request's ``max_wait``.
        """
        return self._unary(_core.LOOKUP_USERS, request, timeout)

    def lookup_user(self, external_id: Optional[str] = None, *,
                    user_alias: Union[None, types_pb2.UserAlias, Tuple[str, str]] = None,
                    timeout: Optional[float] = None, **options: Any) -> UserLookup:
        """Looks one user up by ``external_id`` or ``user_alias`` (a
        ``UserAlias`` or ``(alias_label, alias_name)``); ``options`` are those
        of :func:`~brazesync.build_lookup_request` (``max_wait``,
        ``max_stale``, ``fields_to_export``, ``workspace``...). Returns a
        :class:`~brazesync.UserLookup` ``(outcome, user, result, response)``."""
        request = build_lookup_request(
            external_id, user_aliases=[user_alias] if user_alias is not None else (), **options)
        return first_lookup(self.lookup_users(request, timeout=timeout))

    # -- BrazeIdentity -------------------------------------------------------
    # Every action rpc answers one ActionResult per item; Braze being slow or
    # down is a result, never an exception. Retried on UNAVAILABLE like Track
    # (doing them twice has no further effect).

    def create_alias(self, request: identity_pb2.CreateAliasRequest, *,
                     timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.CreateAlias`` (POST /users/alias/new)."""
        return self._unary(_core.CREATE_ALIAS, request, timeout)

    def identify_users(self, request: identity_pb2.IdentifyUsersRequest, *,
                       timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.IdentifyUsers`` (POST /users/identify)."""
        return self._unary(_core.IDENTIFY_USERS, request, timeout)

    def merge_users(self, request: identity_pb2.MergeUsersRequest, *,
                    timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.MergeUsers`` (POST /users/merge; Braze merges later)."""
        return self._unary(_core.MERGE_USERS, request, timeout)

    def delete_users(self, request: identity_pb2.DeleteUsersRequest, *,
                     timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.DeleteUsers`` (POST /users/delete). Irreversible: the
        request needs ``confirm_irreversible=True``."""
        return self._unary(_core.DELETE_USERS, request, timeout)

    def rename_external_ids(self, request: identity_pb2.RenameExternalIdsRequest, *,
                            timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.RenameExternalIds`` (POST /users/external_ids/rename)."""
        return self._unary(_core.RENAME_EXTERNAL_IDS, request, timeout)

    def remove_external_ids(self, request: identity_pb2.RemoveExternalIdsRequest, *,
                            timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.RemoveExternalIds`` (POST /users/external_ids/remove)."""
        return self._unary(_core.REMOVE_EXTERNAL_IDS, request, timeout)

    def create_user_alias(self, alias_label: str, alias_name: str,
                          external_id: Optional[str] = None, *,
                          workspace: Optional[str] = None,
                          timeout: Optional[float] = None) -> ActionOutcome:
        """Adds one alias to ``external_id`` (or, without it, creates an
        alias-only user). Braze answers success even when the pair is in use:
        ACCEPTED with ``ACTION_WARNING_SUCCESS_MAY_BE_NOOP``."""
        request = build_create_alias_request(alias_label, alias_name, external_id,
                                             workspace=workspace)
        return first_outcome(self.create_alias(request, timeout=timeout), "CreateAlias")

    def identify_alias(self, external_id: str, alias_label: str, alias_name: str, *,
                       workspace: Optional[str] = None,
                       timeout: Optional[float] = None) -> ActionOutcome:
        """Identifies the alias-only profile ``(alias_label, alias_name)`` as
        ``external_id`` (an anonymous visitor who logged in)."""
        request = build_identify_alias_request(external_id, alias_label, alias_name,
                                               workspace=workspace)
        return first_outcome(self.identify_users(request, timeout=timeout), "IdentifyUsers")

    def delete_user(self, external_id: str, *, confirm_irreversible: bool,
                    workspace: Optional[str] = None,
                    timeout: Optional[float] = None) -> ActionOutcome:
        """Deletes one user by external id; ``confirm_irreversible`` must be True."""
        request = build_delete_users_request(external_id,
                                             confirm_irreversible=confirm_irreversible,
                                             workspace=workspace)
        return first_outcome(self.delete_users(request, timeout=timeout), "DeleteUsers")

    # -- BrazeMessaging: never retried ---------------------------------------

    def trigger_canvas(self, request: messaging_pb2.TriggerCanvasRequest, *,
                       timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        """``BrazeMessaging.TriggerCanvas`` (POST /canvas/trigger/send).

        Exactly one attempt, whatever ``retries`` says: a Braze trigger is not
        idempotent, and after ``DEADLINE_EXCEEDED`` or ``UNAVAILABLE`` Braze
        may have sent. Do not resend such a failure blindly.
        """
        return self._unary(_core.TRIGGER_CANVAS, request, timeout)

    def trigger_campaign(self, request: messaging_pb2.TriggerCampaignRequest, *,
                         timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        """``BrazeMessaging.TriggerCampaign`` (POST /campaigns/trigger/send);
        never retried, as :meth:`trigger_canvas`."""
        return self._unary(_core.TRIGGER_CAMPAIGN, request, timeout)

    def trigger_canvas_for(self, external_id: str, canvas_id: str,
                           context: Optional[Mapping[str, Any]] = None,
                           attributes: ProfileLike = None, *,
                           send_to_existing_only: Optional[bool] = None,
                           workspace: Optional[str] = None,
                           timeout: Optional[float] = None) -> ActionOutcome:
        """Puts one user into an API-triggered Canvas with ``context``
        (``{{context.KEY}}`` in Liquid), writing ``attributes`` (see
        :func:`~brazesync.recipient_profile`) first. Never retried."""
        recipient = build_recipient(external_id, context=context, attributes=attributes,
                                    send_to_existing_only=send_to_existing_only)
        request = build_trigger_canvas_request(canvas_id, [recipient], workspace=workspace)
        return first_outcome(self.trigger_canvas(request, timeout=timeout), "TriggerCanvas")

    def trigger_campaign_for(self, external_id: str, campaign_id: str,
                             trigger_properties: Optional[Mapping[str, Any]] = None,
                             attributes: ProfileLike = None, *,
                             send_to_existing_only: Optional[bool] = None,
                             workspace: Optional[str] = None,
                             timeout: Optional[float] = None) -> ActionOutcome:
        """Sends one user an API-triggered campaign with ``trigger_properties``
        (``{{api_trigger_properties.KEY}}``). Never retried."""
        recipient = build_recipient(external_id, attributes=attributes,
                                    send_to_existing_only=send_to_existing_only)
        request = build_trigger_campaign_request(campaign_id, [recipient],
                                                 trigger_properties=trigger_properties,
                                                 workspace=workspace)
        return first_outcome(self.trigger_campaign(request, timeout=timeout), "TriggerCampaign")

    # -- BrazeSubscriptions --------------------------------------------------

    def set_subscription_status(
            self, request: subscriptions_pb2.SetSubscriptionStatusRequest, *,
            timeout: Optional[float] = None) -> subscriptions_pb2.SetSubscriptionStatusResponse:
        """``BrazeSubscriptions.SetSubscriptionStatus`` (POST /v2/subscription/status/set)."""
        return self._unary(_core.SET_SUBSCRIPTION_STATUS, request, timeout)

    def subscribe_user(self, external_id: str, subscription_group_id: str,
                       subscribed: bool = True, *, workspace: Optional[str] = None,
                       timeout: Optional[float] = None) -> ActionOutcome:
        """Subscribes (or, with ``subscribed=False``, unsubscribes) one user to a group."""
        request = build_subscription_request(subscription_group_id, subscribed,
                                             external_ids=[external_id], workspace=workspace)
        return first_outcome(self.set_subscription_status(request, timeout=timeout),
                             "SetSubscriptionStatus")

    # -- internals -----------------------------------------------------------

    def _unary(self, rpc: _core.Rpc, request: Any, timeout: Optional[float]) -> Any:
        """Calls ``rpc``, retrying as the policy says; raises BrazeSyncError."""
        per_attempt = self._settings.attempt_timeout(timeout)
        method = self._callables[rpc]
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(request, timeout=per_attempt,
                              metadata=self._settings.call_metadata())
            except grpc.RpcError as error:
                delay = self._settings.retry.delay_before_retry(rpc, error, attempt)
                if delay is None:
                    raise BrazeSyncError.from_rpc_error(error, attempts=attempt) from error
                self._sleep(delay)
