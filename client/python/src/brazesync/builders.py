"""Builders: plain Python values -> BrazeSync request messages.

Both clients (:class:`~brazesync.BrazeSyncClient` and
:class:`~brazesync.AsyncBrazeSyncClient`) build every request here, so a
convenience method such as ``track_user`` or ``trigger_canvas_for`` sends the
same message from either. Validation is the server's job: a bad value comes
back as :class:`~brazesync.BrazeSyncError` naming the field.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2

from .messages import (CACHE_POLICY_CACHE_ONLY, CACHE_POLICY_PREFER_CACHE, CACHE_POLICY_REFRESH,
                       SUBSCRIPTION_STATE_SUBSCRIBED, SUBSCRIPTION_STATE_UNSUBSCRIBED)
from .v1 import (actions_pb2, brazesync_pb2, identity_pb2, lookup_pb2, messaging_pb2,
                 subscriptions_pb2, types_pb2)

#: A duration: seconds (int or float), a timedelta, a Duration, or None (unset).
DurationLike = Union[None, int, float, _dt.timedelta, "duration_pb2.Duration"]

#: A Python value accepted as a custom attribute (see :func:`attribute_value`).
AttributeLike = Union[None, str, bool, int, float, _dt.datetime, _dt.date,
                      Sequence[str], Sequence[Mapping[str, Any]], Mapping[str, Any],
                      "types_pb2.AttributeValue"]
#: When something happened: a datetime (naive = UTC), a Timestamp, or None.
TimeLike = Union[None, _dt.datetime, "timestamp_pb2.Timestamp"]

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
    if user is not None and external_id is None:
        return user
    if external_id is not None and user is None:
        return types_pb2.UserRef(external_id=external_id)
    raise ValueError("pass exactly one of external_id or user")


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
    for key, attribute in (custom_attributes or {}).items():
        p.custom_attributes[key].CopyFrom(attribute_value(attribute))
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
                  request_id: Optional[str] = None,
                  delivery_mode: Union[None, str, int] = None) -> brazesync_pb2.TrackRequest:
    """A ``TrackRequest`` carrying any mix of profiles, events and purchases.

    ``delivery_mode`` is ``"sync"`` (answer once Braze took the items, the
    server's default), ``"async"`` (answer once they are in the server's
    durable outbox) or a ``DELIVERY_MODE_*`` value.
    """
    request = brazesync_pb2.TrackRequest(
        workspace=workspace or "", attributes=list(attributes), events=list(events),
        purchases=list(purchases), allow_partial=allow_partial,
        validate_only=validate_only, request_id=request_id or "")
    if isinstance(delivery_mode, str):
        try:
            request.delivery_mode = brazesync_pb2.DeliveryMode.Value(
                "DELIVERY_MODE_" + delivery_mode.upper())
        except ValueError:
            raise ValueError(f"delivery_mode must be 'sync' or 'async', "
                             f"got {delivery_mode!r}") from None
    elif delivery_mode is not None:
        request.delivery_mode = brazesync_pb2.DeliveryMode.ValueType(delivery_mode)
    return request


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
        request.cache_policy = _CACHE_POLICIES[cache_policy]
    elif cache_policy is not None:
        request.cache_policy = lookup_pb2.CachePolicy.ValueType(cache_policy)
    for name, value in (("max_age", max_age), ("max_stale", max_stale), ("max_wait", max_wait)):
        d = duration(value)
        if d is not None:
            getattr(request, name).CopyFrom(d)
    return request


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


def build_create_alias_request(alias_label: str, alias_name: str,
                               external_id: Optional[str] = None, *,
                               workspace: Optional[str] = None
                               ) -> identity_pb2.CreateAliasRequest:
    """A ``CreateAliasRequest`` for one alias: added to ``external_id``, or,
    without it, an alias-only user (e.g. an anonymous visitor)."""
    item = identity_pb2.NewUserAlias(alias_label=alias_label, alias_name=alias_name)
    if external_id is not None:
        item.external_id = external_id
    return identity_pb2.CreateAliasRequest(workspace=workspace or "", user_aliases=[item])


def build_identify_alias_request(external_id: str, alias_label: str, alias_name: str, *,
                                 workspace: Optional[str] = None
                                 ) -> identity_pb2.IdentifyUsersRequest:
    """An ``IdentifyUsersRequest`` that identifies the alias-only profile
    ``(alias_label, alias_name)`` as ``external_id``."""
    return identity_pb2.IdentifyUsersRequest(
        workspace=workspace or "",
        aliases_to_identify=[identity_pb2.AliasToIdentify(
            external_id=external_id,
            user_alias=types_pb2.UserAlias(alias_label=alias_label, alias_name=alias_name))])


def build_delete_users_request(external_ids: Union[str, Iterable[str]], *,
                               confirm_irreversible: bool,
                               workspace: Optional[str] = None
                               ) -> identity_pb2.DeleteUsersRequest:
    """A ``DeleteUsersRequest`` by external id; the server refuses it unless
    ``confirm_irreversible`` is True."""
    if isinstance(external_ids, str):
        external_ids = [external_ids]
    return identity_pb2.DeleteUsersRequest(workspace=workspace or "",
                                           external_ids=list(external_ids),
                                           confirm_irreversible=confirm_irreversible)
