"""The asyncio client (``grpc.aio``): the same methods as
:class:`brazesync.BrazeSyncClient`, as coroutines (``track_stream`` is an
async iterator). Create it inside the running event loop::

    async with AsyncBrazeSyncClient.from_env() as client:
        result = await client.track_user("user-42", first_name="Ada")

Each method only forwards: requests come from :mod:`brazesync.builders`, the
retry decision from :class:`brazesync._core.RetryPolicy`, errors from
:mod:`brazesync.errors`. The docstrings are the sync client's (copied below).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import (Any, AsyncIterable, AsyncIterator, Awaitable, Callable, Dict, Iterable,
                    Mapping, Optional, Sequence, Tuple, Union)

import grpc
import grpc.aio

from . import _core
from .builders import (TimeLike, build_create_alias_request, build_delete_users_request,
                       build_event, build_identify_alias_request, build_lookup_request,
                       build_profile, build_purchase, build_recipient, build_request,
                       build_subscription_request, build_trigger_campaign_request,
                       build_trigger_canvas_request)
from .client import BrazeSyncClient, ProfileLike
from .errors import BrazeSyncError
from .results import ActionOutcome, UserLookup, first_lookup, first_outcome
from .v1 import (admin_pb2, brazesync_pb2, identity_pb2, lookup_pb2, messaging_pb2,
                 subscriptions_pb2, types_pb2)


class AsyncBrazeSyncClient:
    """Calls every rpc of BrazeSync's services over one ``grpc.aio`` channel.

    Takes the arguments of :class:`~brazesync.BrazeSyncClient`, except that
    ``interceptors`` are ``grpc.aio`` client interceptors (they need a channel
    the client creates), ``channel`` is a ``grpc.aio.Channel`` and ``sleep``
    is awaited (default ``asyncio.sleep``). Retries, deadlines and errors are
    the sync client's.
    """

    def __init__(self, target: str, *, timeout: float = 10.0, retries: int = 3,
                 tls: bool = False, root_certificates: Optional[bytes] = None,
                 token: Optional[str] = None,
                 backoff_initial: float = 0.1, backoff_max: float = 2.0,
                 interceptors: Sequence[Any] = (),
                 channel_options: Sequence[Tuple[str, Any]] = (),
                 channel: Optional[grpc.aio.Channel] = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._settings = _core.make_settings(
            target, timeout=timeout, retries=retries, tls=tls,
            root_certificates=root_certificates, token=token, backoff_initial=backoff_initial,
            backoff_max=backoff_max, channel_options=channel_options)
        self._sleep = sleep
        self._owns_channel = channel is None
        if channel is None:
            options = list(self._settings.channel_options)
            creds = self._settings.credentials
            channel = (grpc.aio.secure_channel(target, creds, options=options,
                                               interceptors=list(interceptors) or None)
                       if creds else
                       grpc.aio.insecure_channel(target, options=options,
                                                 interceptors=list(interceptors) or None))
        elif interceptors:
            raise ValueError("interceptors need a channel the client creates: pass them to "
                             "grpc.aio.insecure_channel/secure_channel instead")
        self._channel = channel
        self._callables: Dict[_core.Rpc, Any] = {rpc: rpc.bind(channel) for rpc in _core.RPCS}

    @classmethod
    def from_env(cls, **options: Any) -> "AsyncBrazeSyncClient":
        merged = dict(_core.options_from_env(), **options)
        return cls(merged.pop("target"), **merged)

    @property
    def target(self) -> str:
        return self._settings.target

    @property
    def timeout(self) -> float:
        return self._settings.timeout

    # -- lifecycle ---------------------------------------------------------

    async def close(self) -> None:
        """Closes the channel (if the client created it)."""
        if self._owns_channel:
            await self._channel.close()

    async def __aenter__(self) -> "AsyncBrazeSyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- BrazeSync: Track, TrackStream ---------------------------------------

    async def track(self, request: brazesync_pb2.TrackRequest, *,
                    timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        return await self._unary(_core.TRACK, request, timeout)

    async def track_stream(self, requests: Union[Iterable[brazesync_pb2.TrackRequest],
                                                 AsyncIterable[brazesync_pb2.TrackRequest]], *,
                           timeout: Optional[float] = None
                           ) -> AsyncIterator[brazesync_pb2.TrackResult]:
        call = self._callables[_core.TRACK_STREAM](
            requests, timeout=timeout, metadata=self._settings.call_metadata())
        try:
            async for result in call:
                yield result
        except grpc.RpcError as error:
            raise BrazeSyncError.from_rpc_error(error) from error
        finally:
            call.cancel()  # no-op once the stream has ended

    async def track_user(self, external_id: Optional[str] = None, *,
                         workspace: Optional[str] = None,
                         timeout: Optional[float] = None,
                         **profile_fields: Any) -> brazesync_pb2.TrackResult:
        profile = build_profile(external_id, **profile_fields)
        return await self.track(build_request(attributes=[profile], workspace=workspace),
                                timeout=timeout)

    async def track_event(self, external_id: Optional[str] = None, name: str = "",
                          properties: Optional[Mapping[str, Any]] = None,
                          time: TimeLike = None, event_id: Optional[str] = None, *,
                          user: Optional[types_pb2.UserRef] = None,
                          app_id: Optional[str] = None,
                          workspace: Optional[str] = None,
                          timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        event = build_event(external_id, name, user=user, properties=properties, time=time,
                            event_id=event_id, app_id=app_id)
        return await self.track(build_request(events=[event], workspace=workspace),
                                timeout=timeout)

    async def track_purchase(self, external_id: Optional[str] = None, product_id: str = "",
                             currency: str = "", price: float = 0.0, *,
                             user: Optional[types_pb2.UserRef] = None,
                             quantity: Optional[int] = None,
                             properties: Optional[Mapping[str, Any]] = None,
                             time: TimeLike = None,
                             purchase_id: Optional[str] = None,
                             app_id: Optional[str] = None,
                             workspace: Optional[str] = None,
                             timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        purchase = build_purchase(external_id, product_id, currency, price, user=user,
                                  quantity=quantity, properties=properties, time=time,
                                  purchase_id=purchase_id, app_id=app_id)
        return await self.track(build_request(purchases=[purchase], workspace=workspace),
                                timeout=timeout)

    # -- BrazeSyncAdmin: the durable outbox and its dead letters -------------
    # Needs a server with --data_dir (else FAILED_PRECONDITION) and the admin role.

    async def get_item_status(self, request: admin_pb2.GetItemStatusRequest, *,
                              timeout: Optional[float] = None) -> admin_pb2.ItemState:
        return await self._unary(_core.GET_ITEM_STATUS, request, timeout)

    async def list_dead_letters(self, request: admin_pb2.ListDeadLettersRequest, *,
                                timeout: Optional[float] = None
                                ) -> admin_pb2.ListDeadLettersResponse:
        return await self._unary(_core.LIST_DEAD_LETTERS, request, timeout)

    async def get_dead_letter(self, request: admin_pb2.GetDeadLetterRequest, *,
                              timeout: Optional[float] = None) -> admin_pb2.DeadLetter:
        return await self._unary(_core.GET_DEAD_LETTER, request, timeout)

    async def replay_dead_letters(self, request: admin_pb2.ReplayDeadLettersRequest, *,
                                  timeout: Optional[float] = None
                                  ) -> admin_pb2.ReplayDeadLettersResponse:
        return await self._unary(_core.REPLAY_DEAD_LETTERS, request, timeout)

    async def purge_dead_letters(self, request: admin_pb2.PurgeDeadLettersRequest, *,
                                 timeout: Optional[float] = None
                                 ) -> admin_pb2.PurgeDeadLettersResponse:
        return await self._unary(_core.PURGE_DEAD_LETTERS, request, timeout)

    # -- BrazeLookup ---------------------------------------------------------

    async def lookup_users(self, request: lookup_pb2.LookupUsersRequest, *,
                           timeout: Optional[float] = None) -> lookup_pb2.LookupUsersResponse:
        return await self._unary(_core.LOOKUP_USERS, request, timeout)

    async def lookup_user(self, external_id: Optional[str] = None, *,
                          user_alias: Union[None, types_pb2.UserAlias, Tuple[str, str]] = None,
                          timeout: Optional[float] = None, **options: Any) -> UserLookup:
        request = build_lookup_request(
            external_id, user_aliases=[user_alias] if user_alias is not None else (), **options)
        return first_lookup(await self.lookup_users(request, timeout=timeout))

    # -- BrazeIdentity -------------------------------------------------------
    # Every action rpc answers one ActionResult per item; Braze being slow or
    # down is a result, never an exception. Retried on UNAVAILABLE like Track
    # (doing them twice has no further effect).

    async def create_alias(self, request: identity_pb2.CreateAliasRequest, *,
                           timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.CREATE_ALIAS, request, timeout)

    async def identify_users(self, request: identity_pb2.IdentifyUsersRequest, *,
                             timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.IDENTIFY_USERS, request, timeout)

    async def merge_users(self, request: identity_pb2.MergeUsersRequest, *,
                          timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.MERGE_USERS, request, timeout)

    async def delete_users(self, request: identity_pb2.DeleteUsersRequest, *,
                           timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.DELETE_USERS, request, timeout)

    async def rename_external_ids(self, request: identity_pb2.RenameExternalIdsRequest, *,
                                  timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.RENAME_EXTERNAL_IDS, request, timeout)

    async def remove_external_ids(self, request: identity_pb2.RemoveExternalIdsRequest, *,
                                  timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        return await self._unary(_core.REMOVE_EXTERNAL_IDS, request, timeout)

    async def create_user_alias(self, alias_label: str, alias_name: str,
                                external_id: Optional[str] = None, *,
                                workspace: Optional[str] = None,
                                timeout: Optional[float] = None) -> ActionOutcome:
        request = build_create_alias_request(alias_label, alias_name, external_id,
                                             workspace=workspace)
        return first_outcome(await self.create_alias(request, timeout=timeout), "CreateAlias")

    async def identify_alias(self, external_id: str, alias_label: str, alias_name: str, *,
                             workspace: Optional[str] = None,
                             timeout: Optional[float] = None) -> ActionOutcome:
        request = build_identify_alias_request(external_id, alias_label, alias_name,
                                               workspace=workspace)
        return first_outcome(await self.identify_users(request, timeout=timeout),
                             "IdentifyUsers")

    async def delete_user(self, external_id: str, *, confirm_irreversible: bool,
                          workspace: Optional[str] = None,
                          timeout: Optional[float] = None) -> ActionOutcome:
        request = build_delete_users_request(external_id,
                                             confirm_irreversible=confirm_irreversible,
                                             workspace=workspace)
        return first_outcome(await self.delete_users(request, timeout=timeout), "DeleteUsers")

    # -- BrazeMessaging: never retried ---------------------------------------

    async def trigger_canvas(self, request: messaging_pb2.TriggerCanvasRequest, *,
                             timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        return await self._unary(_core.TRIGGER_CANVAS, request, timeout)

    async def trigger_campaign(self, request: messaging_pb2.TriggerCampaignRequest, *,
                               timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        return await self._unary(_core.TRIGGER_CAMPAIGN, request, timeout)

    async def trigger_canvas_for(self, external_id: str, canvas_id: str,
                                 context: Optional[Mapping[str, Any]] = None,
                                 attributes: ProfileLike = None, *,
                                 send_to_existing_only: Optional[bool] = None,
                                 workspace: Optional[str] = None,
                                 timeout: Optional[float] = None) -> ActionOutcome:
        recipient = build_recipient(external_id, context=context, attributes=attributes,
                                    send_to_existing_only=send_to_existing_only)
        request = build_trigger_canvas_request(canvas_id, [recipient], workspace=workspace)
        return first_outcome(await self.trigger_canvas(request, timeout=timeout), "TriggerCanvas")

    async def trigger_campaign_for(self, external_id: str, campaign_id: str,
                                   trigger_properties: Optional[Mapping[str, Any]] = None,
                                   attributes: ProfileLike = None, *,
                                   send_to_existing_only: Optional[bool] = None,
                                   workspace: Optional[str] = None,
                                   timeout: Optional[float] = None) -> ActionOutcome:
        recipient = build_recipient(external_id, attributes=attributes,
                                    send_to_existing_only=send_to_existing_only)
        request = build_trigger_campaign_request(campaign_id, [recipient],
                                                 trigger_properties=trigger_properties,
                                                 workspace=workspace)
        return first_outcome(await self.trigger_campaign(request, timeout=timeout),
                             "TriggerCampaign")

    # -- BrazeSubscriptions --------------------------------------------------

    async def set_subscription_status(
                  self, request: subscriptions_pb2.SetSubscriptionStatusRequest, *,
                  timeout: Optional[float] = None
                  ) -> subscriptions_pb2.SetSubscriptionStatusResponse:
        return await self._unary(_core.SET_SUBSCRIPTION_STATUS, request, timeout)

    async def subscribe_user(self, external_id: str, subscription_group_id: str,
                             subscribed: bool = True, *, workspace: Optional[str] = None,
                             timeout: Optional[float] = None) -> ActionOutcome:
        request = build_subscription_request(subscription_group_id, subscribed,
                                             external_ids=[external_id], workspace=workspace)
        return first_outcome(await self.set_subscription_status(request, timeout=timeout),
                             "SetSubscriptionStatus")

    # -- internals -----------------------------------------------------------

    async def _unary(self, rpc: _core.Rpc, request: Any, timeout: Optional[float]) -> Any:
        """Calls ``rpc``, retrying as the policy says; raises BrazeSyncError."""
        per_attempt = self._settings.attempt_timeout(timeout)
        method = self._callables[rpc]
        attempt = 0
        while True:
            attempt += 1
            try:
                return await method(request, timeout=per_attempt,
                                    metadata=self._settings.call_metadata())
            except grpc.RpcError as error:  # grpc.aio.AioRpcError is one
                delay = self._settings.retry.delay_before_retry(rpc, error, attempt)
                if delay is None:
                    raise BrazeSyncError.from_rpc_error(error, attempts=attempt) from error
                await self._sleep(delay)


# One home for the documentation: each method has the sync client's docstring.
for _name, _method in vars(AsyncBrazeSyncClient).items():
    if (inspect.isfunction(_method) and not _name.startswith("_")
            and not _method.__doc__ and getattr(BrazeSyncClient, _name, None) is not None):
        _method.__doc__ = getattr(BrazeSyncClient, _name).__doc__
