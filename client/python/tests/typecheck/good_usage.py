"""Type-check sample: correct use of both clients must pass mypy against the
installed package (its py.typed, the generated .pyi stubs). Never run."""

from __future__ import annotations

from typing import List

import brazesync
from brazesync import (ActionOutcome, AsyncBrazeSyncClient, BrazeSyncClient, BrazeSyncError,
                       UserLookup, build_request)
from brazesync.v1 import admin_pb2, brazesync_pb2, lookup_pb2


def sync_use(client: BrazeSyncClient) -> List[str]:
    result: brazesync_pb2.TrackResult = client.track_user("u1", first_name="Ada")
    ids: List[str] = [item.item_id for item in result.items]
    for streamed in client.track_stream([build_request(events=[
            brazesync.build_event("u1", "e")])]):
        ids.append(streamed.request_id)
    found: UserLookup = client.lookup_user("u1", max_wait=0.3)
    if found.user is not None:
        ids.append(found.user.first_name)
    sent: ActionOutcome = client.trigger_canvas_for("u1", "cv", context={"k": "v"})
    ids.extend(sent.warnings)
    state: admin_pb2.ItemState = client.get_item_status(
        admin_pb2.GetItemStatusRequest(item_id="evt-1"))
    ids.append(state.reason)
    return ids


async def async_use(client: AsyncBrazeSyncClient) -> List[str]:
    result: brazesync_pb2.TrackResult = await client.track_user("u1", first_name="Ada")
    ids: List[str] = [item.item_id for item in result.items]
    async for streamed in client.track_stream([build_request()]):
        ids.append(streamed.request_id)
    response: lookup_pb2.LookupUsersResponse = await client.lookup_users(
        brazesync.build_lookup_request("u1"))
    ids.extend(user.external_id for user in response.users)
    outcome: ActionOutcome = await client.identify_alias("u1", "chat_visitor", "v1")
    try:
        await client.trigger_campaign(brazesync.build_trigger_campaign_request("cp", ["u1"]))
    except BrazeSyncError as error:
        ids.append(error.code.name)
    ids.append(outcome.status_name)
    return ids
