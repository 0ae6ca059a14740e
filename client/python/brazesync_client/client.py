"""A thin, typed Python client for BrazeSync's ``Track`` and ``LookupUsers`` RPCs and
the Braze actions (``BrazeIdentity``, ``BrazeMessaging``, ``BrazeSubscriptions``)."""

from __future__ import annotations

import datetime as _dt
import math
import random
import time as _time
from typing import (Any, Callable, Iterable, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union)

import grpc
from google.protobuf import duration_pb2, json_format, struct_pb2, timestamp_pb2

from ._stubs import (actions_pb2, brazesync_pb2, brazesync_pb2_grpc, error_details_pb2,
                     health_pb2, health_pb2_grpc, identity_pb2, identity_pb2_grpc, lookup_pb2,
                     lookup_pb2_grpc, messaging_pb2, messaging_pb2_grpc, status_pb2,
                     subscriptions_pb2, subscriptions_pb2_grpc, types_pb2)

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

LookupUsersRequest = lookup_pb2.LookupUsersRequest
LookupUsersResponse = lookup_pb2.LookupUsersResponse
LookupResult = lookup_pb2.LookupResult
ExportedUser = lookup_pb2.ExportedUser

LOOKUP_OUTCOME_FOUND = lookup_pb2.LOOKUP_OUTCOME_FOUND
LOOKUP_OUTCOME_NOT_FOUND = lookup_pb2.LOOKUP_OUTCOME_NOT_FOUND
LOOKUP_OUTCOME_AMBIGUOUS = lookup_pb2.LOOKUP_OUTCOME_AMBIGUOUS
LOOKUP_OUTCOME_DEFERRED = lookup_pb2.LOOKUP_OUTCOME_DEFERRED
LOOKUP_OUTCOME_ERROR = lookup_pb2.LOOKUP_OUTCOME_ERROR

CACHE_POLICY_PREFER_CACHE = lookup_pb2.CACHE_POLICY_PREFER_CACHE
CACHE_POLICY_REFRESH = lookup_pb2.CACHE_POLICY_REFRESH
CACHE_POLICY_CACHE_ONLY = lookup_pb2.CACHE_POLICY_CACHE_ONLY

# The Braze actions (identity.proto, messaging.proto, subscriptions.proto).
ActionResult = actions_pb2.ActionResult
BrazeCall = actions_pb2.BrazeCall
CreateAliasRequest = identity_pb2.CreateAliasRequest
NewUserAlias = identity_pb2.NewUserAlias
IdentifyUsersRequest = identity_pb2.IdentifyUsersRequest
MergeUsersRequest = identity_pb2.MergeUsersRequest
MergeIdentifier = identity_pb2.MergeIdentifier
DeleteUsersRequest = identity_pb2.DeleteUsersRequest
RenameExternalIdsRequest = identity_pb2.RenameExternalIdsRequest
RemoveExternalIdsRequest = identity_pb2.RemoveExternalIdsRequest
IdentityResponse = identity_pb2.IdentityResponse
Recipient = messaging_pb2.Recipient
TriggerCanvasRequest = messaging_pb2.TriggerCanvasRequest
TriggerCampaignRequest = messaging_pb2.TriggerCampaignRequest
TriggerResponse = messaging_pb2.TriggerResponse
SubscriptionGroupStatus = subscriptions_pb2.SubscriptionGroupStatus
SetSubscriptionStatusRequest = subscriptions_pb2.SetSubscriptionStatusRequest
SetSubscriptionStatusResponse = subscriptions_pb2.SetSubscriptionStatusResponse

ACTION_STATUS_ACCEPTED = actions_pb2.ACTION_STATUS_ACCEPTED
ACTION_STATUS_APPLIED = actions_pb2.ACTION_STATUS_APPLIED
ACTION_STATUS_REJECTED_INVALID = actions_pb2.ACTION_STATUS_REJECTED_INVALID
ACTION_STATUS_REJECTED_BY_BRAZE = actions_pb2.ACTION_STATUS_REJECTED_BY_BRAZE
ACTION_STATUS_FAILED = actions_pb2.ACTION_STATUS_FAILED
ACTION_STATUS_DEFERRED = actions_pb2.ACTION_STATUS_DEFERRED
ACTION_STATUS_VALID = actions_pb2.ACTION_STATUS_VALID
ACTION_STATUS_DUPLICATE = actions_pb2.ACTION_STATUS_DUPLICATE

PRIORITIZATION_IDENTIFIED = actions_pb2.PRIORITIZATION_IDENTIFIED
PRIORITIZATION_UNIDENTIFIED = actions_pb2.PRIORITIZATION_UNIDENTIFIED
PRIORITIZATION_MOST_RECENTLY_UPDATED = actions_pb2.PRIORITIZATION_MOST_RECENTLY_UPDATED
PRIORITIZATION_LEAST_RECENTLY_UPDATED = actions_pb2.PRIORITIZATION_LEAST_RECENTLY_UPDATED

SUBSCRIPTION_STATE_SUBSCRIBED = types_pb2.SUBSCRIPTION_STATE_SUBSCRIBED
SUBSCRIPTION_STATE_UNSUBSCRIBED = types_pb2.SUBSCRIPTION_STATE_UNSUBSCRIBED

#: The statuses :func:`all_accepted` counts as "went through".
ACCEPTED_STATUSES = frozenset((ACTION_STATUS_ACCEPTED, ACTION_STATUS_APPLIED,
                               ACTION_STATUS_VALID, ACTION_STATUS_DUPLICATE))

#: A duration: seconds (int or float), a timedelta, a Duration, or None (unset).
DurationLike = Union[None, int, float, _dt.timedelta, "duration_pb2.Duration"]

#: A Python value accepted as a custom attribute (see :func:`attribute_value`).
AttributeLike = Union[None, str, bool, int, float, _dt.datetime, _dt.date,
                      Sequence[str], Sequence[Mapping[str, Any]], Mapping[str, Any],
                      "types_pb2.AttributeValue"]
#: When something happened: a datetime (naive = UTC), a Timestamp, or None.
TimeLike = Union[None, _dt.datetime, "timestamp_pb2.Timestamp"]

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL_PREFIX = "type.googleapis.com/"


class BrazeSyncError(Exception):
    """A call (Track, LookupUsers, an action) failed with a non-OK gRPC status.

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


def duration(value: DurationLike) -> Optional[duration_pb2.Duration]:
    """A ``Duration`` from seconds (int/float) or a timedelta; ``None`` stays unset."""
    if value is None:
        return None
    if isinstance(value, duration_pb2.Duration):
        return value
    if isinstance(value, _dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"expected seconds or timedelta, got {value!r}")
    d = duration_pb2.Duration()
    d.FromNanoseconds(round(value * 1e9))
    return d


_CACHE_POLICIES = {"prefer_cache": CACHE_POLICY_PREFER_CACHE, "refresh": CACHE_POLICY_REFRESH,
                   "cache_only": CACHE_POLICY_CACHE_ONLY}


def build_lookup_request(external_ids: Union[None, str, Iterable[str]] = None, *,
                         user_aliases: Iterable[Union[types_pb2.UserAlias,
                                                      Tuple[str, str]]] = (),
                         email_address: Optional[str] = None,
                         phone: Optional[str] = None,
                         braze_id: Optional[str] = None,
                         device_id: Optional[str] = None,
                         fields_to_export: Iterable[str] = (),
                         cache_policy: Union[None, str, int] = None,
                         max_age: DurationLike = None,
                         max_stale: DurationLike = None,
                         max_wait: DurationLike = None,
                         allow_received_fields: bool = False,
                         workspace: Optional[str] = None) -> lookup_pb2.LookupUsersRequest:
    """A ``LookupUsersRequest``.

    ``external_ids`` is one id or several; ``user_aliases`` are ``UserAlias``
    messages or ``(alias_label, alias_name)`` pairs. Or give exactly one of
    ``email_address``, ``phone``, ``braze_id``, ``device_id`` (the two kinds do
    not mix; the server checks). ``cache_policy`` is ``"prefer_cache"``,
    ``"refresh"``, ``"cache_only"`` or a ``CACHE_POLICY_*`` value. Durations
    are seconds or timedeltas: ``max_wait`` is the latency budget,
    ``max_stale`` how old cached data may be when Braze cannot answer in time,
    ``max_age`` how young cached data must be to answer without asking Braze.
    """
    if isinstance(external_ids, str):
        external_ids = [external_ids]
    request = lookup_pb2.LookupUsersRequest(
        workspace=workspace or "", external_ids=list(external_ids or ()),
        email_address=email_address or "", phone=phone or "", braze_id=braze_id or "",
        device_id=device_id or "", fields_to_export=list(fields_to_export),
        allow_received_fields=allow_received_fields)
    for alias in user_aliases:
        if isinstance(alias, types_pb2.UserAlias):
            request.user_aliases.append(alias)
        else:
            label, name = alias
            request.user_aliases.add(alias_label=label, alias_name=name)
    if isinstance(cache_policy, str):
        if cache_policy not in _CACHE_POLICIES:
            raise ValueError(f"cache_policy must be one of {sorted(_CACHE_POLICIES)}, "
                             f"got {cache_policy!r}")
        cache_policy = _CACHE_POLICIES[cache_policy]
    if cache_policy is not None:
        request.cache_policy = cache_policy
    for name, value in (("max_age", max_age), ("max_stale", max_stale), ("max_wait", max_wait)):
        d = duration(value)
        if d is not None:
            getattr(request, name).CopyFrom(d)
    return request


def found_user(response: lookup_pb2.LookupUsersResponse,
               result: lookup_pb2.LookupResult) -> Optional[lookup_pb2.ExportedUser]:
    """The user ``result`` found (the first one when AMBIGUOUS), else ``None``."""
    if result.outcome not in (LOOKUP_OUTCOME_FOUND, LOOKUP_OUTCOME_AMBIGUOUS):
        return None
    if not result.user_indexes or not 0 <= result.user_indexes[0] < len(response.users):
        return None
    return response.users[result.user_indexes[0]]


def custom_attributes(user: Optional[lookup_pb2.ExportedUser]) -> dict:
    """An exported user's custom attributes as a plain dict (``{}`` for ``None``).

    Numbers come back as floats (JSON has one number type).
    """
    if user is None or not user.HasField("custom_attributes"):
        return {}
    return json_format.MessageToDict(user.custom_attributes)


# ---------------------------------------------------------------------------
# Builders for the Braze actions (identity, messaging, subscriptions).
# ---------------------------------------------------------------------------

#: A prioritization: Braze's name (``"unidentified"``), or a ``PRIORITIZATION_*`` value.
PrioritizationLike = Union[str, int]
#: A user alias: a ``UserAlias`` or ``(alias_label, alias_name)``.
AliasLike = Union[types_pb2.UserAlias, Tuple[str, str]]

# The keywords of build_profile that are profile fields (the rest of a
# recipient's ``attributes`` dict are custom attributes).
_PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "dob", "home_city", "country",
                   "language", "time_zone", "update_existing_only", "custom_attributes")


def prioritization(values: Iterable[PrioritizationLike]) -> List[int]:
    """Braze's ``prioritization`` list as enum values, in order of preference.

    Accepts Braze's names (``"identified"``, ``"unidentified"``,
    ``"most_recently_updated"``, ``"least_recently_updated"``), the enum names
    or ``PRIORITIZATION_*`` values; e.g. ``["unidentified", "most_recently_updated"]``.
    """
    if isinstance(values, (str, int)):
        values = [values]
    out: List[int] = []
    for value in values:
        if isinstance(value, str):
            name = value.upper()
            if not name.startswith("PRIORITIZATION_"):
                name = "PRIORITIZATION_" + name
            try:
                value = actions_pb2.Prioritization.Value(name)
            except ValueError:
                raise ValueError(f"unknown prioritization {value!r}") from None
        out.append(int(value))
    return out


def user_alias(alias: AliasLike) -> types_pb2.UserAlias:
    """A ``UserAlias`` from a ``UserAlias`` or ``(alias_label, alias_name)``."""
    if isinstance(alias, types_pb2.UserAlias):
        return alias
    label, name = alias
    return types_pb2.UserAlias(alias_label=label, alias_name=name)


# Module-level names for build_recipient, whose parameters shadow them.
_to_user_alias = user_alias
_to_prioritization = prioritization


def recipient_profile(attributes: Union[None, types_pb2.UserProfile, Mapping[str, Any]]
                      ) -> Optional[types_pb2.UserProfile]:
    """A trigger recipient's ``attributes`` (a ``UserProfile`` without ``user``).

    A dict's keys that are :func:`build_profile` keywords (``first_name``,
    ``email``, ``dob``, ``custom_attributes``...) set those fields; every
    other key is a custom attribute: ``{"first_name": "Ada", "tier": "gold"}``.
    """
    if attributes is None or isinstance(attributes, types_pb2.UserProfile):
        return attributes
    fields = {k: v for k, v in attributes.items() if k in _PROFILE_FIELDS}
    custom = dict(fields.pop("custom_attributes", None) or {})
    custom.update({k: v for k, v in attributes.items() if k not in _PROFILE_FIELDS})
    profile = build_profile(user=types_pb2.UserRef(), custom_attributes=custom or None, **fields)
    profile.ClearField("user")
    return profile


def build_recipient(external_id: Optional[str] = None, *,
                    user_alias: Optional[AliasLike] = None,
                    email: Optional[str] = None,
                    braze_id: Optional[str] = None,
                    prioritization: Iterable[PrioritizationLike] = (),
                    context: Optional[Mapping[str, Any]] = None,
                    trigger_properties: Optional[Mapping[str, Any]] = None,
                    send_to_existing_only: Optional[bool] = None,
                    attributes: Union[None, types_pb2.UserProfile, Mapping[str, Any]] = None
                    ) -> messaging_pb2.Recipient:
    """A trigger ``Recipient``: exactly one of ``external_id``, ``user_alias``,
    ``email`` (with ``prioritization``) or ``braze_id``.

    ``context`` (TriggerCanvas) / ``trigger_properties`` (TriggerCampaign) are
    this recipient's keys over the request's; ``attributes`` (see
    :func:`recipient_profile`) are written to the user before the send;
    ``send_to_existing_only=False`` lets Braze create an unknown user from them.
    """
    given = [x is not None for x in (external_id, user_alias, email, braze_id)]
    if sum(given) != 1:
        raise ValueError("pass exactly one of external_id, user_alias, email or braze_id")
    r = messaging_pb2.Recipient()
    if external_id is not None:
        r.external_user_id = external_id
    elif user_alias is not None:
        r.user_alias.CopyFrom(_to_user_alias(user_alias))
    elif email is not None:
        r.email = email
    else:
        r.braze_id = braze_id or ""
    r.prioritization.extend(_to_prioritization(prioritization))
    if context:
        r.context.CopyFrom(_struct(context))
    if trigger_properties:
        r.trigger_properties.CopyFrom(_struct(trigger_properties))
    if send_to_existing_only is not None:
        r.send_to_existing_only = send_to_existing_only
    profile = recipient_profile(attributes)
    if profile is not None:
        r.attributes.CopyFrom(profile)
    return r


def _recipients(recipients: Iterable[Union[str, messaging_pb2.Recipient]]
                ) -> List[messaging_pb2.Recipient]:
    """Recipients; a plain string is an external id."""
    return [build_recipient(r) if isinstance(r, str) else r for r in recipients]


def build_trigger_canvas_request(canvas_id: str,
                                 recipients: Iterable[Union[str, messaging_pb2.Recipient]] = (),
                                 *, context: Optional[Mapping[str, Any]] = None,
                                 broadcast: bool = False,
                                 audience: Optional[Mapping[str, Any]] = None,
                                 workspace: Optional[str] = None,
                                 validate_only: bool = False,
                                 allow_partial: bool = False
                                 ) -> messaging_pb2.TriggerCanvasRequest:
    """A ``TriggerCanvasRequest``; ``recipients`` are ``Recipient`` messages
    (:func:`build_recipient`) or external ids; ``context`` is for every recipient."""
    request = messaging_pb2.TriggerCanvasRequest(
        workspace=workspace or "", canvas_id=canvas_id, broadcast=broadcast,
        recipients=_recipients(recipients), validate_only=validate_only,
        allow_partial=allow_partial)
    if context:
        request.context.CopyFrom(_struct(context))
    if audience:
        request.audience.CopyFrom(_struct(audience))
    return request


def build_trigger_campaign_request(campaign_id: str,
                                   recipients: Iterable[Union[str, messaging_pb2.Recipient]] = (),
                                   *, trigger_properties: Optional[Mapping[str, Any]] = None,
                                   send_id: Optional[str] = None,
                                   broadcast: bool = False,
                                   audience: Optional[Mapping[str, Any]] = None,
                                   attachments: Iterable[Tuple[str, str]] = (),
                                   workspace: Optional[str] = None,
                                   validate_only: bool = False,
                                   allow_partial: bool = False
                                   ) -> messaging_pb2.TriggerCampaignRequest:
    """A ``TriggerCampaignRequest``; ``attachments`` are ``(file_name, url)`` pairs."""
    request = messaging_pb2.TriggerCampaignRequest(
        workspace=workspace or "", campaign_id=campaign_id, send_id=send_id or "",
        broadcast=broadcast, recipients=_recipients(recipients),
        attachments=[messaging_pb2.Attachment(file_name=f, url=u) for f, u in attachments],
        validate_only=validate_only, allow_partial=allow_partial)
    if trigger_properties:
        request.trigger_properties.CopyFrom(_struct(trigger_properties))
    if audience:
        request.audience.CopyFrom(_struct(audience))
    return request


def build_subscription_request(subscription_group_id: str, subscribed: bool = True, *,
                               external_ids: Iterable[str] = (),
                               emails: Iterable[str] = (),
                               phones: Iterable[str] = (),
                               use_double_opt_in_logic: Optional[bool] = None,
                               workspace: Optional[str] = None,
                               validate_only: bool = False,
                               allow_partial: bool = False
                               ) -> subscriptions_pb2.SetSubscriptionStatusRequest:
    """A ``SetSubscriptionStatusRequest`` with one group entry (append more to
    ``subscription_groups`` for several groups)."""
    entry = subscriptions_pb2.SubscriptionGroupStatus(
        subscription_group_id=subscription_group_id,
        subscription_state=(SUBSCRIPTION_STATE_SUBSCRIBED if subscribed
                            else SUBSCRIPTION_STATE_UNSUBSCRIBED),
        external_ids=list(external_ids), emails=list(emails), phones=list(phones))
    if use_double_opt_in_logic is not None:
        entry.use_double_opt_in_logic = use_double_opt_in_logic
    return subscriptions_pb2.SetSubscriptionStatusRequest(
        workspace=workspace or "", subscription_groups=[entry], validate_only=validate_only,
        allow_partial=allow_partial)


def all_accepted(response: Any) -> bool:
    """True when an action response (``IdentityResponse``, ``TriggerResponse``,
    ``SetSubscriptionStatusResponse``) has results and every one went through:
    ACCEPTED, APPLIED, VALID (validate_only) or DUPLICATE. ACCEPTED means
    Braze took the item, not that its effect is visible yet (see ``warnings``)."""
    return len(response.results) > 0 and all(
        r.status in ACCEPTED_STATUSES for r in response.results)


class ActionOutcome(NamedTuple):
    """The first result of an action call made by a convenience method
    (:meth:`BrazeSyncClient.identify_alias`, :meth:`~BrazeSyncClient.trigger_canvas_for`...)."""

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


def _outcome(response: Any, rpc: str) -> ActionOutcome:
    if not response.results:
        raise BrazeSyncError(grpc.StatusCode.INTERNAL, f"{rpc} answered no result")
    result = response.results[0]
    return ActionOutcome(result.status, result, response)



class UserLookup(NamedTuple):
    """What :meth:`BrazeSyncClient.lookup_user` found for one identifier."""

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
    def custom_attributes(self) -> dict:
        return custom_attributes(self.user)


def all_delivered(result: brazesync_pb2.TrackResult) -> bool:
    """True when the result has items and every one is ``ITEM_STATUS_DELIVERED``."""
    return len(result.items) > 0 and all(
        item.status == ITEM_STATUS_DELIVERED for item in result.items)


# ---------------------------------------------------------------------------
# The client.
# ---------------------------------------------------------------------------

class BrazeSyncClient:
    """Calls BrazeSync's ``Track`` (and ``BrazeLookup.LookupUsers``) over one gRPC channel.

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
            Braze then, so resending is safe. Triggers (``trigger_canvas``,
            ``trigger_campaign``) are never retried: a trigger that reached
            the server may have been sent by Braze.
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
        self._lookup_stub = lookup_pb2_grpc.BrazeLookupStub(self._channel)
        self._identity_stub = identity_pb2_grpc.BrazeIdentityStub(self._channel)
        self._messaging_stub = messaging_pb2_grpc.BrazeMessagingStub(self._channel)
        self._subscriptions_stub = subscriptions_pb2_grpc.BrazeSubscriptionsStub(self._channel)
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

    def lookup_users(self, request: lookup_pb2.LookupUsersRequest, *,
                     timeout: Optional[float] = None) -> lookup_pb2.LookupUsersResponse:
        """Sends a raw ``LookupUsersRequest`` (see :func:`build_lookup_request`).

        Returns the ``LookupUsersResponse``: one ``LookupResult`` per
        identifier (``outcome`` FOUND, NOT_FOUND, AMBIGUOUS, DEFERRED or
        ERROR; Braze being slow or down is an outcome, never an exception)
        and the users found. ``timeout`` is the gRPC deadline of each attempt;
        keep it above the request's ``max_wait``. Needs the lookup role when
        the server configures callers.

        Raises:
            BrazeSyncError: on any non-OK status (INVALID_ARGUMENT with field
                violations, NOT_FOUND workspace, PERMISSION_DENIED...), after
                retrying ``UNAVAILABLE`` up to the attempt budget.
        """
        return self._call(self._lookup_stub.LookupUsers, request, timeout)

    def lookup_user(self, external_id: Optional[str] = None, *,
                    user_alias: Union[None, types_pb2.UserAlias, Tuple[str, str]] = None,
                    timeout: Optional[float] = None, **options: Any) -> UserLookup:
        """Looks one user up by ``external_id`` or ``user_alias`` (a
        ``UserAlias`` or ``(alias_label, alias_name)``).

        ``options`` are those of :func:`build_lookup_request` (``max_wait``,
        ``max_stale``, ``fields_to_export``, ``email_address``, ``workspace``...),
        e.g. ``client.lookup_user("user-42", max_wait=0.3, max_stale=3600)``.
        Returns a :class:`UserLookup` ``(outcome, user, result, response)``.
        """
        request = build_lookup_request(
            external_id, user_aliases=[user_alias] if user_alias is not None else (), **options)
        response = self.lookup_users(request, timeout=timeout)
        if not response.results:
            raise BrazeSyncError(grpc.StatusCode.INTERNAL, "LookupUsers answered no result")
        result = response.results[0]
        return UserLookup(result.outcome, found_user(response, result), result, response)

    # -- Braze actions: BrazeIdentity ----------------------------------------
    #
    # Every action rpc answers one ActionResult per item (ACCEPTED, APPLIED,
    # REJECTED_INVALID, REJECTED_BY_BRAZE, FAILED, DEFERRED, VALID...); Braze
    # being slow or down is a result, never an exception. They raise
    # BrazeSyncError for INVALID_ARGUMENT (an invalid item without
    # allow_partial; violations name the field), NOT_FOUND (workspace),
    # FAILED_PRECONDITION (Braze refused the workspace's key),
    # UNAUTHENTICATED / PERMISSION_DENIED (the caller needs the identity,
    # messaging or subscriptions role) and RESOURCE_EXHAUSTED.
    # Identity and subscription calls are retried on UNAVAILABLE like Track
    # (sending them again has no further effect); triggers never are.

    def create_alias(self, request: identity_pb2.CreateAliasRequest, *,
                     timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.CreateAlias`` (POST /users/alias/new)."""
        return self._call(self._identity_stub.CreateAlias, request, timeout)

    def identify_users(self, request: identity_pb2.IdentifyUsersRequest, *,
                       timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.IdentifyUsers`` (POST /users/identify)."""
        return self._call(self._identity_stub.IdentifyUsers, request, timeout)

    def merge_users(self, request: identity_pb2.MergeUsersRequest, *,
                    timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.MergeUsers`` (POST /users/merge; Braze merges later)."""
        return self._call(self._identity_stub.MergeUsers, request, timeout)

    def delete_users(self, request: identity_pb2.DeleteUsersRequest, *,
                     timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.DeleteUsers`` (POST /users/delete). Irreversible: the
        request needs ``confirm_irreversible=True``."""
        return self._call(self._identity_stub.DeleteUsers, request, timeout)

    def rename_external_ids(self, request: identity_pb2.RenameExternalIdsRequest, *,
                            timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.RenameExternalIds`` (POST /users/external_ids/rename)."""
        return self._call(self._identity_stub.RenameExternalIds, request, timeout)

    def remove_external_ids(self, request: identity_pb2.RemoveExternalIdsRequest, *,
                            timeout: Optional[float] = None) -> identity_pb2.IdentityResponse:
        """``BrazeIdentity.RemoveExternalIds`` (POST /users/external_ids/remove)."""
        return self._call(self._identity_stub.RemoveExternalIds, request, timeout)

    def create_user_alias(self, alias_label: str, alias_name: str,
                          external_id: Optional[str] = None, *,
                          workspace: Optional[str] = None,
                          timeout: Optional[float] = None) -> ActionOutcome:
        """Adds one alias to ``external_id`` (or, without it, creates an
        alias-only user, e.g. for an anonymous visitor). Braze answers success
        even when the pair is already in use: the outcome is ACCEPTED with
        ``ACTION_WARNING_SUCCESS_MAY_BE_NOOP``."""
        item = identity_pb2.NewUserAlias(alias_label=alias_label, alias_name=alias_name)
        if external_id is not None:
            item.external_id = external_id
        request = identity_pb2.CreateAliasRequest(workspace=workspace or "",
                                                  user_aliases=[item])
        return _outcome(self.create_alias(request, timeout=timeout), "CreateAlias")

    def identify_alias(self, external_id: str, alias_label: str, alias_name: str, *,
                       workspace: Optional[str] = None,
                       timeout: Optional[float] = None) -> ActionOutcome:
        """Identifies the alias-only profile ``(alias_label, alias_name)`` as
        ``external_id`` (an anonymous visitor who logged in): Braze merges it
        into the user with that external id."""
        request = identity_pb2.IdentifyUsersRequest(
            workspace=workspace or "",
            aliases_to_identify=[identity_pb2.AliasToIdentify(
                external_id=external_id,
                user_alias=types_pb2.UserAlias(alias_label=alias_label,
                                               alias_name=alias_name))])
        return _outcome(self.identify_users(request, timeout=timeout), "IdentifyUsers")

    def delete_user(self, external_id: str, *, confirm_irreversible: bool,
                    workspace: Optional[str] = None,
                    timeout: Optional[float] = None) -> ActionOutcome:
        """Deletes one user by external id; ``confirm_irreversible`` must be True."""
        request = identity_pb2.DeleteUsersRequest(
            workspace=workspace or "", external_ids=[external_id],
            confirm_irreversible=confirm_irreversible)
        return _outcome(self.delete_users(request, timeout=timeout), "DeleteUsers")

    # -- Braze actions: BrazeMessaging ---------------------------------------

    def trigger_canvas(self, request: messaging_pb2.TriggerCanvasRequest, *,
                       timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        """``BrazeMessaging.TriggerCanvas`` (POST /canvas/trigger/send).

        Exactly one attempt, whatever ``retries`` says: a Braze trigger is not
        idempotent, and after ``DEADLINE_EXCEEDED`` or ``UNAVAILABLE`` the
        request may have reached the server and Braze may have sent. Do not
        resend such a failure blindly; a recipient whose result is FAILED with
        ``retryable`` False may have received the message.
        """
        return self._call(self._messaging_stub.TriggerCanvas, request, timeout, retry=False)

    def trigger_campaign(self, request: messaging_pb2.TriggerCampaignRequest, *,
                         timeout: Optional[float] = None) -> messaging_pb2.TriggerResponse:
        """``BrazeMessaging.TriggerCampaign`` (POST /campaigns/trigger/send);
        never retried, as :meth:`trigger_canvas`."""
        return self._call(self._messaging_stub.TriggerCampaign, request, timeout, retry=False)

    def trigger_canvas_for(self, external_id: str, canvas_id: str,
                           context: Optional[Mapping[str, Any]] = None,
                           attributes: Union[None, types_pb2.UserProfile,
                                             Mapping[str, Any]] = None, *,
                           send_to_existing_only: Optional[bool] = None,
                           workspace: Optional[str] = None,
                           timeout: Optional[float] = None) -> ActionOutcome:
        """Puts one user into an API-triggered Canvas with ``context``
        (``{{context.KEY}}`` in Liquid), writing ``attributes`` (see
        :func:`recipient_profile`) to the user first. Never retried."""
        recipient = build_recipient(external_id, context=context, attributes=attributes,
                                    send_to_existing_only=send_to_existing_only)
        request = build_trigger_canvas_request(canvas_id, [recipient], workspace=workspace)
        return _outcome(self.trigger_canvas(request, timeout=timeout), "TriggerCanvas")

    def trigger_campaign_for(self, external_id: str, campaign_id: str,
                             trigger_properties: Optional[Mapping[str, Any]] = None,
                             attributes: Union[None, types_pb2.UserProfile,
                                               Mapping[str, Any]] = None, *,
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
        return _outcome(self.trigger_campaign(request, timeout=timeout), "TriggerCampaign")

    # -- Braze actions: BrazeSubscriptions -----------------------------------

    def set_subscription_status(
            self, request: subscriptions_pb2.SetSubscriptionStatusRequest, *,
            timeout: Optional[float] = None) -> subscriptions_pb2.SetSubscriptionStatusResponse:
        """``BrazeSubscriptions.SetSubscriptionStatus`` (POST /v2/subscription/status/set)."""
        return self._call(self._subscriptions_stub.SetSubscriptionStatus, request, timeout)

    def subscribe_user(self, external_id: str, subscription_group_id: str,
                       subscribed: bool = True, *, workspace: Optional[str] = None,
                       timeout: Optional[float] = None) -> ActionOutcome:
        """Subscribes (or, with ``subscribed=False``, unsubscribes) one user to a group."""
        request = build_subscription_request(subscription_group_id, subscribed,
                                             external_ids=[external_id], workspace=workspace)
        return _outcome(self.set_subscription_status(request, timeout=timeout),
                        "SetSubscriptionStatus")

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

    def _call(self, method: Any, request: Any, timeout: Optional[float], *,
              retry: bool = True) -> Any:
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
                if (retry and code == grpc.StatusCode.UNAVAILABLE
                        and attempt < self.max_attempts):
                    self._sleep(self._backoff(attempt))
                    continue
                raise BrazeSyncError.from_rpc_error(error, attempts=attempt) from error
