"""Type-check sample: each marked line misuses the async client and mypy must
report it (run_tests.sh checks every line tagged ``# expect:`` is reported).
Proves the async client's types are real, not Any. Never run."""

from __future__ import annotations

from brazesync import AsyncBrazeSyncClient
from brazesync.v1 import brazesync_pb2


async def misuse(client: AsyncBrazeSyncClient) -> None:
    result: brazesync_pb2.TrackResult = client.track_user("u1")  # expect: assignment
    awaited = await client.track_user("u1")
    request_id: int = awaited.request_id  # expect: assignment
    await client.lookup_users("u1")  # expect: arg-type
    for _ in client.track_stream([]):  # expect: attr-defined
        pass
    await client.trigger_canvas_for("u1", "cv", timeout="soon")  # expect: arg-type
