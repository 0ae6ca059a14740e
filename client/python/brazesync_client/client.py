"""A thin, typed Python client for BrazeSync's ``Track`` RPC."""

from __future__ import annotations

import datetime as _dt
import math
import random
import time as _time
from typing import (Any, Callable, Iterable, List, Mapping, Optional, Sequence,
                    Tuple, Union)

import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from ._stubs import (brazesync_pb2, brazesync_pb2_grpc, error_details_pb2,
                     health_pb2, health_pb2_grpc, status_pb2, types_pb2)

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
OUTCOME_DELIVERED = brazesync_pb2.OUTCOME_DELIVERED

#: A Python value accepted as a custom attribute (see :func:`attribute_value`).
AttributeLike = Union[None, str, bool, int, float, _dt.datetime, _dt.date,
                      Sequence[str], Sequence[Mapping[str, Any]], Mapping[str, Any],
                      "types_pb2.AttributeValue"]
#: When something happened: a datetime (naive = UTC), a Timestamp, or None.
TimeLike = Union[None, _dt.datetime, "timestamp_pb2.Timestamp"]

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL_PREFIX = "type.googleapis.com/"


class BrazeSyncError(Exception):
    """A Track call failed with a non-OK gRPC status.

    Attributes:
        code: the :class:`grpc.StatusCode` (e.g. ``INVALID_ARGUMENT``).
        message: the server's error message.
        violations: ``(field, description)`` pairs from the
            ``google.rpc.BadRequest`` in the ``grpc-status-details-bin``
            trailer, e.g. ``("attributes[0].dob", "...")``; empty if none.
        retry_delay: seconds from a ``google.rpc.RetryInfo`` detail, if any.
        attempts: how many attempts were made (more than 1 after retries).
    """

    def __init__(self, code: grpc.StatusCode, message: str,
                 violations: Optional[Sequence[Tuple[str, str]]] = None, *,
                 retry_delay: Optional[float] = None, attempts: int = 1) -> None:
        self.code = code
        self.message = message
        self.violations: List[Tuple[str, str]] = list(violations or [])
        self.retry_delay = retry_delay
        self.attempts = attempts
        text = f"{code.name}: {message}"
        if self.violations:
            text += " [" + "; ".join(f"{f}: {d}" for f, d in self.violations) + "]"
        super().__init__(text)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, attempts: int = 1) -> "BrazeSyncError":
        """Builds the error from a failed call, decoding its status details."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        violations, retry_delay, status_message = decode_status_details(trailers)
        return cls(code or grpc.StatusCode.UNKNOWN, message or status_message or "",
                   violations, retry_delay=retry_delay, attempts=attempts)


def decode_status_details(
        trailers: Optional[Iterable[Tuple[str, Union[str, bytes]]]]
) -> Tuple[List[Tuple[str, str]], Optional[float], str]:
    """Decodes ``grpc-status-details-bin`` (a ``google.rpc.Status``).

    Returns ``(violations, retry_delay_seconds, status_message)``; unknown
    detail types are ignored, and a missing or undecodable trailer gives
    ``([], None, "")``.
    """
    violations: List[Tuple[str, str]] = []
    retry_delay: Optional[float] = None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # a malformed trailer must not hide the real error
            return violations, retry_delay, ""
        for detail in status.details:
            type_name = detail.type_url[len(_TYPE_URL_PREFIX):] \
                if detail.type_url.startswith(_TYPE_URL_PREFIX) else detail.type_url.split("/")[-1]
            if type_name == error_details_pb2.BadRequest.DESCRIPTOR.full_name:
                bad_request = error_details_pb2.BadRequest()
                bad_request.ParseFromString(detail.value)
                violations.extend((v.field, v.description) for v in bad_request.field_violations)
            elif type_name == error_details_pb2.RetryInfo.DESCRIPTOR.full_name:
                info = error_details_pb2.RetryInfo()
                info.ParseFromString(detail.value)
                retry_delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
        return violations, retry_delay, status.message
    return violations, retry_delay, ""


# ---------------------------------------------------------------------------
# Builders: Python values -> BrazeSync messages.
# ---------------------------------------------------------------------------

def timestamp(value: TimeLike) -> Optional[timestamp_pb2.Timestamp]:
    """A ``Timestamp`` from a datetime (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if isinstance(value, timestamp_pb2.Timestamp):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(value.astimezone(_dt.timezone.utc).replace(tzinfo=None))
        return ts
    raise TypeError(f"expected datetime or Timestamp, got {type(value).__name__}")


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(_jsonable(values))
    return s


def _jsonable(value: Any) -> Any:
    """Datetimes inside objects become ISO 8601 strings (Struct has no time)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def attribute_value(value: AttributeLike) -> types_pb2.AttributeValue:
    """Maps a Python value to an ``AttributeValue``.

    ``str`` -> string, ``bool`` -> bool, ``int`` -> int, ``float`` -> double,
    ``datetime``/``date`` -> time (naive = UTC; a date is midnight UTC),
    list of ``str`` -> array, list of dicts -> array of objects, ``dict`` ->
    nested object, ``None`` -> null (removes the attribute). An
    ``AttributeValue`` is passed through, which is how to send ``increment``,
    ``add`` and ``remove`` (see :func:`increment`, :func:`add`, :func:`remove`).
    """
    if isinstance(value, types_pb2.AttributeValue):
        return value
    v = types_pb2.AttributeValue()
    if value is None:
        v.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):  # before int: bool is an int subclass
        v.bool_value = value
    elif isinstance(value, int):
        v.int_value = value
    elif isinstance(value, float):
        v.double_value = value
    elif isinstance(value, str):
        v.string_value = value
    elif isinstance(value, _dt.datetime):
        v.time_value.CopyFrom(timestamp(value))
    elif isinstance(value, _dt.date):
        v.time_value.CopyFrom(timestamp(_dt.datetime(value.year, value.month, value.day)))
    elif isinstance(value, Mapping):
        v.object_value.CopyFrom(_struct(value))
    elif isinstance(value, (list, tuple)):
        if all(isinstance(x, str) for x in value):
            v.array_value.values.extend(value)
        elif all(isinstance(x, Mapping) for x in value):
            v.object_array_value.extend(_jsonable(list(value)))
        else:
            raise TypeError("a list attribute must hold only strings or only dicts")
    else:
        raise TypeError(f"unsupported custom attribute type {type(value).__name__}")
    return v


def increment(n: int) -> types_pb2.AttributeValue:
    """``{"inc": n}``: adds n to an integer attribute."""
    return types_pb2.AttributeValue(increment=n)


def add(values: Sequence[str]) -> types_pb2.AttributeValue:
    """``{"add": [...]}``: adds values to an array attribute."""
    return types_pb2.AttributeValue(add=types_pb2.StringList(values=list(values)))


def remove(values: Sequence[str]) -> types_pb2.AttributeValue:
    """``{"remove": [...]}``: removes values from an array attribute."""
    return types_pb2.AttributeValue(remove=types_pb2.StringList(values=list(values)))


def user_ref(external_id: Optional[str] = None, *, user: Optional[types_pb2.UserRef] = None
             ) -> types_pb2.UserRef:
    """A ``UserRef``: by ``external_id``, or a prebuilt ``user`` (alias, braze_id...)."""
    if (external_id is None) == (user is None):
        raise ValueError("pass exactly one of external_id or user")
    if user is not None:
        return user
    return types_pb2.UserRef(external_id=external_id)


def build_profile(external_id: Optional[str] = None, *,
                  user: Optional[types_pb2.UserRef] = None,
                  first_name: Optional[str] = None,
                  last_name: Optional[str] = None,
                  email: Optional[str] = None,
                  phone: Optional[str] = None,
                  dob: Union[None, str, _dt.date] = None,
                  home_city: Optional[str] = None,
                  country: Optional[str] = None,
                  language: Optional[str] = None,
                  time_zone: Optional[str] = None,
                  custom_attributes: Optional[Mapping[str, AttributeLike]] = None,
                  update_existing_only: Optional[bool] = None) -> types_pb2.UserProfile:
    """A ``UserProfile`` (a Braze attributes object). Unset fields are not sent.

    ``dob`` is ``"YYYY-MM-DD"`` or a ``date``. Validation is the server's job:
    a bad value comes back as :class:`BrazeSyncError` naming the field.
    :meth:`BrazeSyncClient.track_user` forwards its profile keywords here, so
    this signature is the one list of them.
    """
    p = types_pb2.UserProfile(user=user_ref(external_id, user=user))
    if isinstance(dob, _dt.datetime):
        dob = dob.date()
    if isinstance(dob, _dt.date):
        dob = dob.isoformat()
    for name, val in (("first_name", first_name), ("last_name", last_name),
                      ("email", email), ("phone", phone), ("dob", dob),
                      ("home_city", home_city), ("country", country),
                      ("language", language), ("time_zone", time_zone),
                      ("update_existing_only", update_existing_only)):
        if val is not None:
            setattr(p, name, val)
    for key, val in (custom_attributes or {}).items():
        p.custom_attributes[key].CopyFrom(attribute_value(val))
    return p


def build_event(external_id: Optional[str] = None, name: str = "", *,
                user: Optional[types_pb2.UserRef] = None,
                properties: Optional[Mapping[str, Any]] = None,
                time: TimeLike = None,
                event_id: Optional[str] = None,
                app_id: Optional[str] = None) -> types_pb2.Event:
    """An ``Event``. Without ``time`` the server stamps the time it received it."""
    e = types_pb2.Event(user=user_ref(external_id, user=user), name=name)
    if properties:
        e.properties.CopyFrom(_struct(properties))
    if time is not None:
        e.time.CopyFrom(timestamp(time))
    if event_id:
        e.event_id = event_id
    if app_id:
        e.app_id = app_id
    return e


def build_purchase(external_id: Optional[str] = None, product_id: str = "",
                   currency: str = "", price: float = 0.0, *,
                   user: Optional[types_pb2.UserRef] = None,
                   quantity: Optional[int] = None,
                   properties: Optional[Mapping[str, Any]] = None,
                   time: TimeLike = None,
                   purchase_id: Optional[str] = None,
                   app_id: Optional[str] = None) -> types_pb2.Purchase:
    """A ``Purchase``; ``price`` in major units, ``currency`` ISO 4217."""
    p = types_pb2.Purchase(user=user_ref(external_id, user=user), product_id=product_id,
                           currency=currency, price=float(price))
    if quantity is not None:
        p.quantity = quantity
    if properties:
        p.properties.CopyFrom(_struct(properties))
    if time is not None:
        p.time.CopyFrom(timestamp(time))
    if purchase_id:
        p.purchase_id = purchase_id
    if app_id:
        p.app_id = app_id
    return p


def build_request(*, attributes: Iterable[types_pb2.UserProfile] = (),
                  events: Iterable[types_pb2.Event] = (),
                  purchases: Iterable[types_pb2.Purchase] = (),
                  workspace: Optional[str] = None,
                  allow_partial: bool = False,
                  validate_only: bool = False,
                  request_id: Optional[str] = None) -> brazesync_pb2.TrackRequest:
    """A ``TrackRequest`` carrying any mix of profiles, events and purchases."""
    return brazesync_pb2.TrackRequest(
        workspace=workspace or "", attributes=list(attributes), events=list(events),
        purchases=list(purchases), allow_partial=allow_partial,
        validate_only=validate_only, request_id=request_id or "")


def all_delivered(result: brazesync_pb2.TrackResult) -> bool:
    """True when the result has items and every one is ``ITEM_STATUS_DELIVERED``."""
    return len(result.items) > 0 and all(
        item.status == ITEM_STATUS_DELIVERED for item in result.items)


# ---------------------------------------------------------------------------
# The client.
# ---------------------------------------------------------------------------

class BrazeSyncClient:
    """Calls BrazeSync's ``Track`` over one gRPC channel.

    Example::

        with BrazeSyncClient("127.0.0.1:50051") as client:
            result = client.track_user(external_id="user-42", first_name="Ada")
            assert all_delivered(result)

    Args:
        target: ``host:port`` of the BrazeSync server.
        timeout: the deadline of each attempt, in seconds.
        retries: the maximum number of attempts per call, the first included
            (``retries=1`` never retries). Only ``UNAVAILABLE`` is retried,
            with exponential backoff and full jitter: nothing was accepted by
            Braze then, so resending is safe.
        tls: use TLS (``grpc.ssl_channel_credentials``).
        root_certificates: PEM root certificates for TLS; ``None`` uses the
            system roots. Setting it implies ``tls=True``.
        token: sent with every call as ``authorization: Bearer <token>``.
        backoff_initial: the first backoff ceiling, in seconds.
        backoff_max: the largest backoff ceiling, in seconds.
        interceptors: ``grpc`` client interceptors (e.g. metrics, tracing);
            each attempt passes through them.
        channel_options: extra ``grpc`` channel options.
        channel: use this channel instead of creating one (target, tls,
            root_certificates and channel_options are then ignored); it is not
            closed by :meth:`close`.
    """

    def __init__(self, target: str, *, timeout: float = 10.0, retries: int = 3,
                 tls: bool = False, root_certificates: Optional[bytes] = None,
                 token: Optional[str] = None,
                 backoff_initial: float = 0.1, backoff_max: float = 2.0,
                 interceptors: Sequence[grpc.UnaryUnaryClientInterceptor] = (),
                 channel_options: Sequence[Tuple[str, Any]] = (),
                 channel: Optional[grpc.Channel] = None,
                 sleep: Callable[[float], None] = _time.sleep) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.target = target
        self.timeout = float(timeout)
        self.max_attempts = max(1, int(retries))
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._metadata: Tuple[Tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ())
        self._owns_channel = channel is None
        if channel is None:
            if tls or root_certificates is not None:
                creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
                channel = grpc.secure_channel(target, creds, options=list(channel_options))
            else:
                channel = grpc.insecure_channel(target, options=list(channel_options))
        self._raw_channel = channel
        self._channel = grpc.intercept_channel(channel, *interceptors) if interceptors else channel
        self._stub = brazesync_pb2_grpc.BrazeSyncStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the channel (if the client created it)."""
        if self._owns_channel:
            self._raw_channel.close()

    def __enter__(self) -> "BrazeSyncClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- calls -------------------------------------------------------------

    def track(self, request: brazesync_pb2.TrackRequest, *,
              timeout: Optional[float] = None) -> brazesync_pb2.TrackResult:
        """Sends a raw ``TrackRequest`` and returns the ``TrackResult``.

        Raises:
            BrazeSyncError: on any non-OK status, after retrying
                ``UNAVAILABLE`` up to the attempt budget.
        """
        return self._call(self._stub.Track, request, timeout)

    def track_user(self, external_id: Optional[str] = None, *,
                   workspace: Optional[str] = None,
                   timeout: Optional[float] = None,
                   **profile_fields: Any) -> brazesync_pb2.TrackResult:
        """Creates or updates one profile.

        ``external_id`` and ``profile_fields`` are passed to
        :func:`build_profile`, which defines the accepted keywords (``user``,
        ``first_name``, ``email``, ``dob``, ``custom_attributes``,
        ``update_existing_only``...); an unknown keyword raises ``TypeError``
        naming it, before anything is sent. ``workspace`` and ``timeout`` are
        as in :func:`build_request` and :meth:`track`.
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
        """Records one custom event; see :func:`build_event`."""
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
        """Records one purchase; see :func:`build_purchase`."""
        purchase = build_purchase(external_id, product_id, currency, price, user=user,
                                  quantity=quantity, properties=properties, time=time,
                                  purchase_id=purchase_id, app_id=app_id)
        return self.track(build_request(purchases=[purchase], workspace=workspace),
                          timeout=timeout)

    def check_health(self, service: str = "brazesync.v1.BrazeSync", *,
                     timeout: Optional[float] = None, wait_for_ready: bool = False) -> bool:
        """True when the server's ``grpc.health.v1.Health`` reports SERVING."""
        try:
            reply = self._health.Check(health_pb2.HealthCheckRequest(service=service),
                                       timeout=timeout or self.timeout,
                                       metadata=self._metadata or None,
                                       wait_for_ready=wait_for_ready)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    # -- internals ---------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before attempt ``attempt + 1``."""
        ceiling = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling) if ceiling > 0 else 0.0

    def _call(self, method: Any, request: Any, timeout: Optional[float]) -> Any:
        per_attempt = self.timeout if timeout is None else float(timeout)
        if not math.isfinite(per_attempt) or per_attempt <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(request, timeout=per_attempt, metadata=self._metadata or None)
            except grpc.RpcError as error:
                code = error.code() if hasattr(error, "code") else None
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self.max_attempts:
                    self._sleep(self._backoff(attempt))
                    continue
                raise BrazeSyncError.from_rpc_error(error, attempts=attempt) from error
