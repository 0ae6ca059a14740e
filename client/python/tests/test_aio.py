"""Tests of the asyncio client (``brazesync.AsyncBrazeSyncClient``) against
the INSTALLED package, a live ``brazesync_server`` and the Braze emulator:
Track and its helpers, TrackStream (sync and async request iterables),
lookup, identity, a trigger, subscriptions, admin, the error mapping and
the retry policy (UNAVAILABLE retried, a trigger never). See run_tests.sh.
"""

from __future__ import annotations

import unittest
from typing import Any, AsyncIterator, List

import grpc
import grpc.aio

import brazesync as bs
from brazesync import AsyncBrazeSyncClient, BrazeSyncError

import live
from live import bodies_to, closed_port, emulator, messages_mentioning, received_bodies, unique_id


def setUpModule() -> None:
    live.start()


def tearDownModule() -> None:
    live.stop()


class CountingAioInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts the attempts of unary calls on a grpc.aio channel."""

    def __init__(self) -> None:
        self.attempts = 0

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                                    request: Any) -> Any:
        self.attempts += 1
        return await continuation(client_call_details, request)


class AsyncLiveTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        emulator("POST", "/_emulator/reset")
        # Created inside the running loop, as grpc.aio needs.
        self.client = AsyncBrazeSyncClient(live.target(), timeout=10.0)

    async def asyncTearDown(self) -> None:
        await self.client.close()

    async def test_track_user_and_event(self) -> None:
        result = await self.client.track_user("py-aio", first_name="Ada",
                                              custom_attributes={"tier": "gold"})
        self.assertTrue(bs.all_delivered(result), result)
        result = await self.client.track_event("py-aio", "aio_event", {"n": 1}, event_id="e-1")
        self.assertEqual(result.items[0].item_id, "e-1")
        bodies = received_bodies()
        self.assertEqual(bodies[0], {"attributes": [{"external_id": "py-aio", "first_name": "Ada",
                                                     "tier": "gold"}]})
        event = bodies[1]["events"][0]
        self.assertEqual((event["external_id"], event["name"], event["properties"]),
                         ("py-aio", "aio_event", {"n": 1}))

    async def test_invalid_input_raises_with_field_violation(self) -> None:
        with self.assertRaises(BrazeSyncError) as caught:
            await self.client.track_user("py-aio", dob="12/21/1980")
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("attributes[0].dob", [f for f, _ in caught.exception.violations])
        self.assertEqual(received_bodies(), [])

    async def test_track_stream_from_an_async_iterable(self) -> None:
        async def requests() -> AsyncIterator[bs.TrackRequest]:
            for name in ("one", "two"):
                yield bs.build_request(events=[bs.build_event("py-aio-stream", name)])
            yield bs.build_request(events=[bs.build_event("py-aio-stream", "")])  # invalid
        results = [r async for r in self.client.track_stream(requests())]
        self.assertEqual(len(results), 3)
        self.assertTrue(bs.all_delivered(results[0]) and bs.all_delivered(results[1]), results)
        self.assertEqual(results[2].error.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertEqual([e["name"] for b in received_bodies() for e in b.get("events", [])],
                         ["one", "two"])

    async def test_track_stream_from_a_list(self) -> None:
        results = [r async for r in self.client.track_stream(
            [bs.build_request(events=[bs.build_event("py-aio-list", "listed")])])]
        self.assertEqual(len(results), 1)
        self.assertTrue(bs.all_delivered(results[0]), results[0])

    async def test_lookup_reads_your_writes(self) -> None:
        user = unique_id("py-aio-lookup")
        self.assertTrue(bs.all_delivered(await self.client.track_user(
            user, first_name="Grace", custom_attributes={"tier": "silver"})))
        found = await self.client.lookup_user(user, max_wait=5.0,
                                              fields_to_export=["first_name", "custom_attributes"])
        self.assertTrue(found.found, found.response)
        self.assertEqual(found.user.first_name, "Grace")
        self.assertEqual(found.custom_attributes["tier"], "silver")
        self.assertTrue(found.result.pending_own_write)
        missing = await self.client.lookup_users(bs.build_lookup_request(unique_id("nobody"),
                                                                         max_wait=5.0))
        self.assertEqual(missing.results[0].outcome, bs.LOOKUP_OUTCOME_NOT_FOUND)

    async def test_identity_alias_then_identify(self) -> None:
        user, visitor = unique_id("py-aio-ident"), unique_id("visitor")
        created = await self.client.create_user_alias("chat_visitor", visitor)
        self.assertEqual(created.status, bs.ACTION_STATUS_ACCEPTED, created.response)
        identified = await self.client.identify_alias(user, "chat_visitor", visitor)
        self.assertTrue(identified.accepted, identified.response)
        self.assertEqual(bodies_to("/users/identify"), [{"aliases_to_identify": [{
            "external_id": user,
            "user_alias": {"alias_label": "chat_visitor", "alias_name": visitor}}]}])

    async def test_trigger_canvas_sends_one_message(self) -> None:
        user = unique_id("py-aio-canvas")
        self.assertTrue(bs.all_delivered(await self.client.track_user(user, first_name="Ada")))
        sent = await self.client.trigger_canvas_for(user, "cv-aio", context={"topic": "upgrade"})
        self.assertEqual(sent.status, bs.ACTION_STATUS_ACCEPTED, sent.response)
        self.assertEqual(len(messages_mentioning("cv-aio", user, "upgrade")), 1)

    async def test_subscribe_and_admin(self) -> None:
        user = unique_id("py-aio-sub")
        self.assertTrue(bs.all_delivered(await self.client.track_user(user, first_name="Ada")))
        outcome = await self.client.subscribe_user(user, "sg-news")
        self.assertTrue(outcome.accepted, outcome.response)
        page = await self.client.list_dead_letters(bs.ListDeadLettersRequest())
        self.assertEqual(page.next_after_id, 0)
        with self.assertRaises(BrazeSyncError) as caught:
            await self.client.get_item_status(bs.GetItemStatusRequest(item_id=unique_id("no")))
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)


class AsyncRetryTest(unittest.IsolatedAsyncioTestCase):
    async def test_unavailable_retried_but_a_trigger_never(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        interceptor = CountingAioInterceptor()
        sleeps: List[float] = []

        async def record(seconds: float) -> None:
            sleeps.append(seconds)

        async with AsyncBrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}", retries=3,
                                        backoff_initial=0.05, interceptors=[interceptor],
                                        sleep=record) as client:
            with self.assertRaises(BrazeSyncError) as caught:
                await client.track_event("u1", "ping")
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            self.assertEqual((caught.exception.attempts, interceptor.attempts), (3, 3))
            self.assertEqual(len(sleeps), 2)
            self.assertTrue(all(0 <= s <= 0.1 for s in sleeps), sleeps)
            with self.assertRaises(BrazeSyncError) as caught:
                await client.trigger_canvas_for("u1", "cv-1")
            self.assertEqual(caught.exception.attempts, 1)
            self.assertEqual(interceptor.attempts, 4, "a trigger may double-send: never retried")

    async def test_interceptors_need_a_client_made_channel(self) -> None:
        channel = grpc.aio.insecure_channel("127.0.0.1:1")
        self.addAsyncCleanup(channel.close)
        with self.assertRaisesRegex(ValueError, "interceptors"):
            AsyncBrazeSyncClient("127.0.0.1:1", channel=channel,
                                 interceptors=[CountingAioInterceptor()])
