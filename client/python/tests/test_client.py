"""Tests of the blocking client (``brazesync.BrazeSyncClient``) and the
action-node examples, run against the INSTALLED package (run_tests.sh builds
the wheel, installs it into a fresh venv and runs these with its python, from
outside the source tree), a live ``brazesync_server`` and the Braze emulator.

Run: BRAZESYNC_SERVER_BIN=... BRAZE_EMULATOR_BIN=... VENV/bin/python -m unittest test_client
(see run_tests.sh).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import unittest
import unittest.mock
from typing import Any, List, Optional, Tuple

import grpc

import brazesync as bs
from brazesync import BrazeSyncClient, BrazeSyncError
from brazesync.v1 import actions_pb2, admin_pb2, brazesync_pb2, identity_pb2

import live
from live import (CountingInterceptor, ListLog, bodies_to, closed_port, emulator,
                  emulator_messages, eventually, live_profiles, messages_mentioning,
                  paths_received, profile_with, received_bodies, unique_id)

BrazeExample = live.load_example("braze_action_node").BrazeExample
AnonymousVisitorLogsIn = live.load_example("anonymous_visitor_logs_in").AnonymousVisitorLogsIn
RetargetAfterConversation = live.load_example(
    "retarget_after_conversation").RetargetAfterConversation


def setUpModule() -> None:
    live.start()


def tearDownModule() -> None:
    live.stop()


class LiveServerTest(unittest.TestCase):
    def setUp(self) -> None:
        emulator("POST", "/_emulator/reset")
        self.target = live.target()
        self.client = BrazeSyncClient(self.target, timeout=10.0)
        self.addCleanup(self.client.close)


# ---------------------------------------------------------------------------
# Client against the live server
# ---------------------------------------------------------------------------

class ClientTest(LiveServerTest):
    def test_track_user_and_event_delivered_with_exact_json(self) -> None:
        result = self.client.track_user(
            external_id="py-user", first_name="Ada", last_name="Lovelace",
            email="ada@example.com", dob="1990-12-10", home_city="London", country="GB",
            custom_attributes={
                "os": "iOS", "visits": 3, "score": 1.5, "vip": True,
                "tags": ["a", "b"], "prefs": {"lang": "en"}, "gone": None,
                "last_seen": dt.datetime(2024, 5, 1, 12, 34, 56, 789000,
                                         tzinfo=dt.timezone.utc)})
        self.assertEqual(result.outcome, bs.OUTCOME_DELIVERED)
        self.assertEqual([i.status for i in result.items], [bs.ITEM_STATUS_DELIVERED])

        result = self.client.track_event(
            "py-user", "quote_requested", {"plan": "premium", "amount": 120},
            time=dt.datetime(2024, 5, 1, 12, 0, 0), event_id="evt-1")
        self.assertTrue(bs.all_delivered(result))
        self.assertEqual(result.items[0].item_id, "evt-1")

        self.assertEqual(received_bodies(), [
            {"attributes": [{
                "external_id": "py-user", "first_name": "Ada", "last_name": "Lovelace",
                "email": "ada@example.com", "dob": "1990-12-10", "home_city": "London",
                "country": "GB", "os": "iOS", "visits": 3, "score": 1.5, "vip": True,
                "tags": ["a", "b"], "prefs": {"lang": "en"}, "gone": None,
                "last_seen": "2024-05-01T12:34:56.789Z"}]},
            {"events": [{
                "external_id": "py-user", "name": "quote_requested",
                "time": "2024-05-01T12:00:00.000Z",
                "properties": {"plan": "premium", "amount": 120}}]},
        ])

    def test_track_purchase_and_raw_request(self) -> None:
        request = bs.build_request(
            attributes=[bs.build_profile("py-buyer", first_name="Grace",
                                         custom_attributes={"credits": bs.increment(5)})],
            purchases=[bs.build_purchase("py-buyer", "plan-premium", "USD", 49.99, quantity=2,
                                         time=dt.datetime(2024, 1, 2, 3, 4, 5))])
        result = self.client.track(request)
        self.assertTrue(bs.all_delivered(result))
        self.assertEqual([i.kind for i in result.items],
                         [brazesync_pb2.ITEM_KIND_ATTRIBUTES,
                          brazesync_pb2.ITEM_KIND_PURCHASE])
        result = self.client.track_purchase("py-buyer", "addon", "EUR", 5)
        self.assertTrue(bs.all_delivered(result))
        bodies = received_bodies()
        self.assertEqual(bodies[0]["attributes"],
                         [{"external_id": "py-buyer", "first_name": "Grace",
                           "credits": {"inc": 5}}])
        self.assertEqual(bodies[0]["purchases"],
                         [{"external_id": "py-buyer", "product_id": "plan-premium",
                           "currency": "USD", "price": 49.99, "quantity": 2,
                           "time": "2024-01-02T03:04:05.000Z"}])
        self.assertEqual(bodies[1]["purchases"][0]["product_id"], "addon")

    def test_invalid_dob_raises_with_field_violation(self) -> None:
        interceptor = CountingInterceptor()
        with BrazeSyncClient(self.target, interceptors=[interceptor]) as client:
            with self.assertRaises(BrazeSyncError) as caught:
                client.track_user(external_id="py-user", dob="12/21/1980")
        error = caught.exception
        self.assertEqual(error.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("attributes[0].dob", [field for field, _ in error.violations])
        self.assertTrue(all(description for _, description in error.violations))
        self.assertIn("attributes[0].dob", str(error))
        self.assertEqual(interceptor.attempts, 1, "INVALID_ARGUMENT must not be retried")
        self.assertEqual(received_bodies(), [], "nothing invalid may reach Braze")

    def test_token_sent_as_bearer_metadata(self) -> None:
        interceptor = CountingInterceptor()
        with BrazeSyncClient(self.target, token="s3cret", interceptors=[interceptor]) as client:
            self.assertTrue(bs.all_delivered(client.track_event("py-user", "token_checked")))
        self.assertIn(("authorization", "Bearer s3cret"), interceptor.metadata[0])

    def test_from_env_reads_target_token_and_timeout(self) -> None:
        interceptor = CountingInterceptor()
        environ = {"BRAZESYNC_TARGET": self.target, "BRAZESYNC_TOKEN": "env-token",
                   "BRAZESYNC_TIMEOUT": "7.5"}
        with unittest.mock.patch.dict(os.environ, environ):
            client = BrazeSyncClient.from_env(interceptors=[interceptor])
        with client:
            self.assertEqual((client.target, client.timeout), (self.target, 7.5))
            self.assertTrue(bs.all_delivered(client.track_event("py-user", "from_env")))
        self.assertIn(("authorization", "Bearer env-token"), interceptor.metadata[0])
        token_file = os.path.join(live.work_dir(), "token")
        with open(token_file, "w") as f:
            f.write("file-token\n")
        with unittest.mock.patch.dict(os.environ, {"BRAZESYNC_TOKEN_FILE": token_file,
                                                   "BRAZESYNC_TARGET": self.target}):
            os.environ.pop("BRAZESYNC_TOKEN", None)
            with BrazeSyncClient.from_env(interceptors=[interceptor]) as client:
                client.track_event("py-user", "from_token_file")
        self.assertIn(("authorization", "Bearer file-token"), interceptor.metadata[-1])
        with unittest.mock.patch.dict(os.environ, {"BRAZESYNC_TIMEOUT": "soon"}):
            with self.assertRaisesRegex(ValueError, "BRAZESYNC_TIMEOUT"):
                BrazeSyncClient.from_env()

    def test_server_unavailable_is_retried_then_raised(self) -> None:
        # Braze keeps answering 503: the server's own retries run out and it
        # answers UNAVAILABLE; the client retries that, then raises it.
        emulator("POST", "/_emulator/faults", {"fail_next": 1000, "fail_next_status": 503})
        self.addCleanup(emulator, "POST", "/_emulator/reset")
        interceptor = CountingInterceptor()
        sleeps: List[float] = []
        with BrazeSyncClient(self.target, retries=2, interceptors=[interceptor],
                             sleep=sleeps.append) as client:
            with self.assertRaises(BrazeSyncError) as caught:
                client.track_event("py-user", "never_delivered")
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(interceptor.attempts, 2)
        self.assertEqual(caught.exception.attempts, 2)
        self.assertEqual(len(sleeps), 1)


class TrackStreamTest(LiveServerTest):
    def test_one_result_per_request_in_order_and_errors_do_not_end_the_stream(self) -> None:
        requests = [bs.build_request(events=[bs.build_event("py-stream", "first")]),
                    bs.build_request(attributes=[bs.build_profile("py-stream", dob="12/21/1980")]),
                    bs.build_request(events=[bs.build_event("py-stream", "third")])]
        results = list(self.client.track_stream(requests))
        self.assertEqual(len(results), 3)
        self.assertTrue(bs.all_delivered(results[0]), results[0])
        self.assertEqual(results[1].error.code, grpc.StatusCode.INVALID_ARGUMENT.value[0],
                         results[1])
        self.assertTrue(bs.all_delivered(results[2]), results[2])
        self.assertEqual([e["name"] for b in received_bodies() for e in b.get("events", [])],
                         ["first", "third"])

    def test_stream_to_a_closed_port_raises_without_retrying(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        with BrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}", retries=3) as client:
            with self.assertRaises(BrazeSyncError) as caught:
                list(client.track_stream([bs.build_request(events=[
                    bs.build_event("u", "e")])]))
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(caught.exception.attempts, 1)


class AdminTest(LiveServerTest):
    def test_async_delivery_then_item_status_and_dead_letters(self) -> None:
        event_id = unique_id("py-admin-evt")
        result = self.client.track(bs.build_request(
            events=[bs.build_event("py-admin", "queued", event_id=event_id)],
            delivery_mode="async"))
        self.assertEqual(result.outcome, bs.OUTCOME_ACCEPTED, result)
        state = eventually(lambda: (lambda s: s if s.state == admin_pb2.DELIVERY_STATE_DELIVERED
                                    else None)(self.client.get_item_status(
                                        bs.GetItemStatusRequest(item_id=event_id))))
        self.assertIsNotNone(state)
        self.assertEqual(state.item_id, event_id)
        page = self.client.list_dead_letters(bs.ListDeadLettersRequest(page_size=10))
        self.assertEqual((list(page.dead_letters), page.next_after_id), ([], 0))
        self.assertEqual(self.client.replay_dead_letters(
            bs.ReplayDeadLettersRequest(all=True)).replayed, 0)
        self.assertEqual(self.client.purge_dead_letters(
            bs.PurgeDeadLettersRequest(all=True)).purged, 0)
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.get_dead_letter(bs.GetDeadLetterRequest(id=424242))
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_unknown_item_is_not_found(self) -> None:
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.get_item_status(bs.GetItemStatusRequest(item_id=unique_id("never")))
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)


# ---------------------------------------------------------------------------
# LookupUsers against the live server
# ---------------------------------------------------------------------------

class LookupTest(LiveServerTest):
    def test_lookup_reads_your_writes_and_unknown_is_not_found(self) -> None:
        known, unknown = unique_id("py-lookup"), unique_id("py-nobody")
        tracked = self.client.track_user(external_id=known, first_name="Ada",
                                         custom_attributes={"tier": "gold"})
        self.assertTrue(bs.all_delivered(tracked))

        response = self.client.lookup_users(bs.build_lookup_request(
            [known, unknown], fields_to_export=["first_name", "custom_attributes"],
            max_wait=5.0), timeout=10.0)
        self.assertEqual([(r.field, r.index) for r in response.results],
                         [("external_ids", 0), ("external_ids", 1)])
        found, missing = response.results
        self.assertEqual(found.outcome, bs.LOOKUP_OUTCOME_FOUND, response)
        user = bs.found_user(response, found)
        self.assertIsNotNone(user, response)
        self.assertEqual(user.external_id, known)
        self.assertEqual(user.first_name, "Ada")
        self.assertEqual(bs.custom_attributes(user).get("tier"), "gold", response)
        self.assertTrue(found.pending_own_write, "Braze's export lags: the overlay answered")
        self.assertEqual(missing.outcome, bs.LOOKUP_OUTCOME_NOT_FOUND, response)
        self.assertEqual(list(missing.user_indexes), [])
        self.assertIsNone(bs.found_user(response, missing))

    def test_lookup_user_convenience(self) -> None:
        known = unique_id("py-lookup-one")
        self.assertTrue(bs.all_delivered(self.client.track_user(
            external_id=known, first_name="Grace", custom_attributes={"tier": "silver"})))
        found = self.client.lookup_user(known, max_wait=5.0, max_stale=3600,
                                        fields_to_export=["first_name", "custom_attributes"])
        self.assertTrue(found.found, found.response)
        self.assertEqual(found.user.first_name, "Grace")
        self.assertEqual(found.custom_attributes["tier"], "silver")

        missing = self.client.lookup_user(unique_id("py-nobody"), max_wait=5.0)
        self.assertEqual(missing.outcome, bs.LOOKUP_OUTCOME_NOT_FOUND, missing.response)
        self.assertFalse(missing.found)
        self.assertIsNone(missing.user)
        self.assertEqual(missing.custom_attributes, {})

    def test_lookup_without_identifier_is_invalid_argument(self) -> None:
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.lookup_users(bs.build_lookup_request())
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(caught.exception.violations, str(caught.exception))
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.lookup_users(bs.build_lookup_request(["u1"], max_wait=-1))
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("max_wait", " ".join(f for f, _ in caught.exception.violations))


class RetryTest(unittest.TestCase):
    def test_closed_port_retried_then_unavailable(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        interceptor = CountingInterceptor()
        sleeps: List[float] = []
        client = BrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}", retries=2, timeout=5,
                                 backoff_initial=0.05, interceptors=[interceptor],
                                 sleep=sleeps.append)
        self.addCleanup(client.close)
        with self.assertRaises(BrazeSyncError) as caught:
            client.track_event("py-user", "ping")
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(interceptor.attempts, 2)
        self.assertEqual(interceptor.codes, [grpc.StatusCode.UNAVAILABLE] * 2)
        self.assertEqual(caught.exception.attempts, 2)
        self.assertEqual(len(sleeps), 1)
        self.assertTrue(0 <= sleeps[0] <= 0.05)

    def test_retries_one_means_a_single_attempt(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        interceptor = CountingInterceptor()
        with BrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}", retries=1,
                             interceptors=[interceptor]) as client:
            with self.assertRaises(BrazeSyncError):
                client.track_user(external_id="u")
        self.assertEqual(interceptor.attempts, 1)

    def test_backoff_grows_exponentially_and_is_capped(self) -> None:
        client = BrazeSyncClient("127.0.0.1:1", backoff_initial=0.1, backoff_max=0.3)
        self.addCleanup(client.close)
        for attempt, ceiling in ((1, 0.1), (2, 0.2), (3, 0.3), (10, 0.3)):
            for _ in range(20):
                self.assertLessEqual(client._settings.retry.backoff(attempt), ceiling)


# ---------------------------------------------------------------------------
# The action node
# ---------------------------------------------------------------------------

GOOD_PAYLOAD = {"user_id": "conv-user-1", "first_name": "Ada", "last_name": "Lovelace",
                "email": "ada@example.com", "date_of_birth": "1990-12-10", "city": "London",
                "os": "Android"}


class ActionNodeTest(LiveServerTest):
    def setUp(self) -> None:
        super().setUp()
        os.environ["BRAZESYNC_TARGET"] = self.target
        self.addCleanup(os.environ.pop, "BRAZESYNC_TARGET", None)

    def test_good_payload_succeeds_in_one_track_call(self) -> None:
        log = ListLog()
        self.assertEqual(BrazeExample().execute(log, GOOD_PAYLOAD,
                                                {"conversation_id": "c-9"}),
                         {"success": "true", "greeting": BrazeExample.GENERIC_GREETING})
        bodies = received_bodies()
        self.assertEqual(len(bodies), 1, "profile and event must travel in one request")
        self.assertEqual(bodies[0]["attributes"], [{
            "external_id": "conv-user-1", "first_name": "Ada", "last_name": "Lovelace",
            "email": "ada@example.com", "dob": "1990-12-10", "home_city": "London",
            "os": "Android"}])
        event = bodies[0]["events"][0]
        self.assertEqual((event["external_id"], event["name"], event["properties"]),
                         ("conv-user-1", "conversation_completed",
                          {"os": "Android", "conversation_id": "c-9"}))
        self.assertIn("delivered", log.text())

    def test_fields_fall_back_to_context(self) -> None:
        result = BrazeExample().execute(ListLog(), {"first_name": "Ada"},
                                        {"user_id": "conv-user-2", "os": "iOS"})
        self.assertEqual(result["success"], "true")
        self.assertEqual(received_bodies()[0]["attributes"][0],
                         {"external_id": "conv-user-2", "first_name": "Ada", "os": "iOS"})

    def test_bad_email_returns_error_and_logs_violation(self) -> None:
        log = ListLog()
        payload = dict(GOOD_PAYLOAD, email="not-an-email")
        self.assertEqual(BrazeExample().execute(log, payload), {"success": "error"})
        self.assertIn("attributes[0].email", log.text())
        self.assertEqual(received_bodies(), [])

    def test_missing_user_id_returns_error(self) -> None:
        log = ListLog()
        self.assertEqual(BrazeExample().execute(log, {"first_name": "Ada"}),
                         {"success": "error"})
        self.assertIn("no user id", log.text())

    def test_unavailable_returns_error(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        node = BrazeExample(lambda: BrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}",
                                                    retries=2, sleep=lambda _: None))
        log = ListLog()
        self.assertEqual(node.execute(log.error, GOOD_PAYLOAD), {"success": "error"})
        self.assertIn("unavailable after 2 attempt(s)", log.text())
        self.assertIn("lookup failed, generic greeting", log.text())

    def test_runs_as_a_script_with_the_installed_package(self) -> None:
        script = os.path.join(live.EXAMPLES_DIR, "braze_action_node.py")
        run = subprocess.run([sys.executable, script, "conv-script", "Ada", "Lovelace",
                              "ada@example.com", "1990-12-10", "London", "iOS"],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, BRAZESYNC_TARGET=self.target))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("'success': 'true'", run.stdout)
        self.assertEqual(received_bodies()[0]["attributes"][0]["external_id"], "conv-script")

    def test_gold_tier_gets_the_vip_greeting(self) -> None:
        # Tracked just now: Braze's export may not show it yet, BrazeSync's
        # read-your-writes overlay does.
        user = unique_id("conv-gold")
        self.assertTrue(bs.all_delivered(self.client.track_user(
            external_id=user, first_name="Ada", custom_attributes={"tier": "gold"})))
        log = ListLog()
        result = BrazeExample().execute(log, {"user_id": user, "first_name": "Ada"})
        self.assertEqual(result, {"success": "true",
                                  "greeting": BrazeExample.VIP_GREETING.format(name="Ada")},
                         log.text())
        self.assertIn("tier='gold'", log.text())

    def test_other_tier_is_greeted_by_name(self) -> None:
        user = unique_id("conv-silver")
        self.assertTrue(bs.all_delivered(self.client.track_user(
            external_id=user, first_name="Grace", custom_attributes={"tier": "silver"})))
        log = ListLog()
        result = BrazeExample().execute(log, {"user_id": user, "city": "Paris"})
        self.assertEqual(result, {"success": "true",
                                  "greeting": BrazeExample.KNOWN_GREETING.format(name="Grace")},
                         log.text())

    def test_unknown_user_gets_the_generic_greeting(self) -> None:
        log = ListLog()
        result = BrazeExample().execute(log, {"user_id": unique_id("conv-new"),
                                              "first_name": "Ada"})
        self.assertEqual(result, {"success": "true",
                                  "greeting": BrazeExample.GENERIC_GREETING}, log.text())
        self.assertIn("LOOKUP_OUTCOME_NOT_FOUND, generic greeting", log.text())

    def test_deferred_lookup_gets_the_generic_greeting(self) -> None:
        # Braze keeps failing: nothing cached for a new user, so the lookup
        # comes back DEFERRED or ERROR within max_wait, never an rpc error.
        emulator("POST", "/_emulator/faults", {"fail_next": 1000, "fail_next_status": 503})
        self.addCleanup(emulator, "POST", "/_emulator/reset")
        log = ListLog()
        self.assertEqual(BrazeExample().greeting(log, self.client, unique_id("conv-deferred")),
                         BrazeExample.GENERIC_GREETING)
        self.assertRegex(log.text(), r"LOOKUP_OUTCOME_(DEFERRED|ERROR).*generic greeting")


# ---------------------------------------------------------------------------
# The Braze actions (identity, messaging, subscriptions) against the live server
# ---------------------------------------------------------------------------

def status_names(response: Any) -> List[str]:
    return [actions_pb2.ActionStatus.Name(r.status) for r in response.results]


class IdentityTest(LiveServerTest):
    def test_create_alias_then_identify_merges_the_alias_profile(self) -> None:
        user, visitor = unique_id("py-ident"), unique_id("visitor")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=user,
                                                                first_name="Ada")))
        created = self.client.create_user_alias("chat_visitor", visitor)
        self.assertEqual(created.status, bs.ACTION_STATUS_ACCEPTED, created.response)
        self.assertIn("ACTION_WARNING_SUCCESS_MAY_BE_NOOP", created.warnings)
        self.assertEqual(created.response.braze_calls[created.result.braze_call].endpoint,
                         "/users/alias/new")
        self.assertEqual(bodies_to("/users/alias/new"), [
            {"user_aliases": [{"alias_label": "chat_visitor", "alias_name": visitor}]}])

        identified = self.client.identify_alias(user, "chat_visitor", visitor)
        self.assertEqual(identified.status, bs.ACTION_STATUS_ACCEPTED, identified.response)
        self.assertEqual(bodies_to("/users/identify"), [{"aliases_to_identify": [{
            "external_id": user,
            "user_alias": {"alias_label": "chat_visitor", "alias_name": visitor}}]}])
        # The alias now belongs to the identified user (Braze's live state).
        profile = eventually(lambda: (lambda p: p if p and {
            "alias_label": "chat_visitor", "alias_name": visitor} in p.get("user_aliases", [])
            else None)(profile_with(user)))
        self.assertIsNotNone(profile, live_profiles())
        self.assertEqual(profile["first_name"], "Ada")

    def test_identify_users_raw_request_by_email_and_alias(self) -> None:
        user = unique_id("py-ident-raw")
        response = self.client.identify_users(bs.IdentifyUsersRequest(
            aliases_to_identify=[identity_pb2.AliasToIdentify(
                external_id=user, user_alias=bs.UserAlias(alias_label="crm",
                                                          alias_name=unique_id("n")))],
            emails_to_identify=[identity_pb2.EmailToIdentify(
                external_id=user, email="ada@example.com",
                prioritization=bs.prioritization(["unidentified", "most_recently_updated"]))]))
        self.assertEqual(status_names(response), ["ACTION_STATUS_ACCEPTED"] * 2, response)
        self.assertEqual([(r.array, r.index) for r in response.results],
                         [("aliases_to_identify", 0), ("emails_to_identify", 0)])
        body = bodies_to("/users/identify")[0]
        self.assertEqual(body["emails_to_identify"][0]["prioritization"],
                         ["unidentified", "most_recently_updated"])

    def test_validate_only_sends_nothing(self) -> None:
        response = self.client.create_alias(bs.CreateAliasRequest(
            user_aliases=[bs.NewUserAlias(alias_label="crm", alias_name="v1",
                                          external_id="u1")],
            validate_only=True))
        self.assertEqual(status_names(response), ["ACTION_STATUS_VALID"])
        self.assertEqual([json.loads(b) for b in response.braze_request_bodies], [
            {"user_aliases": [{"external_id": "u1", "alias_label": "crm", "alias_name": "v1"}]}])
        self.assertNotIn("/users/alias/new", paths_received())

    def test_delete_users_removes_the_profile_and_lookup_forgets_it(self) -> None:
        user = unique_id("py-delete")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=user,
                                                                first_name="Gone")))
        self.assertIsNotNone(profile_with(user))
        deleted = self.client.delete_user(user, confirm_irreversible=True)
        self.assertEqual(deleted.status, bs.ACTION_STATUS_ACCEPTED, deleted.response)
        self.assertEqual(bodies_to("/users/delete"), [{"external_ids": [user]}])
        self.assertEqual(deleted.response.deleted, 1, deleted.response)
        self.assertTrue(eventually(lambda: profile_with(user) is None), live_profiles())
        # BrazeLookup forgets the user at once (its read-your-writes overlay too).
        found = self.client.lookup_user(user, max_wait=5.0)
        self.assertEqual(found.outcome, bs.LOOKUP_OUTCOME_NOT_FOUND, found.response)

    def test_delete_without_confirmation_is_invalid_argument(self) -> None:
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.delete_user("someone", confirm_irreversible=False)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("confirm_irreversible",
                      " ".join(f for f, _ in caught.exception.violations) +
                      caught.exception.message)
        self.assertNotIn("/users/delete", paths_received())

    def test_rename_external_id(self) -> None:
        old, new = unique_id("py-old"), unique_id("py-new")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=old, first_name="Old")))
        response = self.client.rename_external_ids(bs.RenameExternalIdsRequest(
            external_id_renames=[identity_pb2.ExternalIdRename(current_external_id=old,
                                                                  new_external_id=new)]))
        self.assertEqual(status_names(response), ["ACTION_STATUS_APPLIED"], response)
        self.assertEqual(list(response.external_ids), [old])
        self.assertIsNotNone(eventually(lambda: profile_with(new)), live_profiles())


class MessagingTest(LiveServerTest):
    def test_trigger_canvas_with_context_sends_one_message(self) -> None:
        user = unique_id("py-canvas")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=user,
                                                                first_name="Ada")))
        sent = self.client.trigger_canvas_for(user, "cv-retarget",
                                              context={"topic": "upgrade", "score": 7},
                                              attributes={"first_name": "Ada", "tier": "gold"})
        self.assertEqual(sent.status, bs.ACTION_STATUS_ACCEPTED, sent.response)
        self.assertTrue(sent.response.dispatch_ids, sent.response)
        call = sent.response.braze_calls[sent.result.braze_call]
        self.assertEqual(call.endpoint, "/canvas/trigger/send")
        self.assertEqual(call.dispatch_id, sent.response.dispatch_ids[0])
        (body,) = bodies_to("/canvas/trigger/send")
        self.assertEqual(body["canvas_id"], "cv-retarget")
        (recipient,) = body["recipients"]
        self.assertEqual(recipient["external_user_id"], user)
        context = dict(body.get("context") or {}, **(recipient.get("context") or {}))
        self.assertEqual(context, {"topic": "upgrade", "score": 7})
        self.assertEqual(recipient["attributes"], {"first_name": "Ada", "tier": "gold"})
        self.assertEqual(len(messages_mentioning("cv-retarget", user, "upgrade")), 1,
                         emulator_messages())

    def test_broadcast_with_recipients_is_invalid_argument(self) -> None:
        request = bs.build_trigger_canvas_request("cv-1", ["u1"], broadcast=True)
        with self.assertRaises(BrazeSyncError) as caught:
            self.client.trigger_canvas(request)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertNotIn("/canvas/trigger/send", paths_received())

    def test_trigger_campaign_with_properties(self) -> None:
        user = unique_id("py-campaign")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=user,
                                                                first_name="Ada")))
        sent = self.client.trigger_campaign_for(user, "cp-coupon",
                                                trigger_properties={"coupon": "CHAT10"})
        self.assertEqual(sent.status, bs.ACTION_STATUS_ACCEPTED, sent.response)
        (body,) = bodies_to("/campaigns/trigger/send")
        self.assertEqual(body["campaign_id"], "cp-coupon")
        props = dict(body.get("trigger_properties") or {},
                     **(body["recipients"][0].get("trigger_properties") or {}))
        self.assertEqual(props, {"coupon": "CHAT10"})
        self.assertEqual(len(messages_mentioning("cp-coupon", user)), 1, emulator_messages())


class SubscriptionsTest(LiveServerTest):
    def test_set_subscription_status(self) -> None:
        user = unique_id("py-sub")
        self.assertTrue(bs.all_delivered(self.client.track_user(external_id=user,
                                                                first_name="Ada")))
        outcome = self.client.subscribe_user(user, "sg-newsletter")
        self.assertEqual(outcome.status, bs.ACTION_STATUS_ACCEPTED, outcome.response)
        self.assertEqual(bodies_to("/v2/subscription/status/set"), [{"subscription_groups": [{
            "subscription_group_id": "sg-newsletter", "subscription_state": "subscribed",
            "external_ids": [user]}]}])
        response = self.client.set_subscription_status(bs.build_subscription_request(
            "sg-newsletter", False, external_ids=[user]))
        self.assertTrue(bs.all_accepted(response), response)
        self.assertEqual(bodies_to("/v2/subscription/status/set")[-1]["subscription_groups"][0]
                         ["subscription_state"], "unsubscribed")

    def test_emails_and_phones_go_in_separate_calls(self) -> None:
        request = bs.build_subscription_request("sg-email", emails=["ada@example.com"])
        request.subscription_groups.add(subscription_group_id="sg-sms",
                                        subscription_state=bs.SUBSCRIPTION_STATE_SUBSCRIBED,
                                        phones=["+15043277269"])
        response = self.client.set_subscription_status(request)
        self.assertEqual(status_names(response), ["ACTION_STATUS_ACCEPTED"] * 2, response)
        bodies = bodies_to("/v2/subscription/status/set")
        self.assertEqual(len(bodies), 2, bodies)
        self.assertEqual(len(response.braze_calls), 2)


class TriggerRetryTest(unittest.TestCase):
    def test_trigger_is_never_retried(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        interceptor = CountingInterceptor()
        with BrazeSyncClient(f"127.0.0.1:{sock.getsockname()[1]}", retries=3,
                             interceptors=[interceptor], sleep=lambda _: None) as client:
            with self.assertRaises(BrazeSyncError) as caught:
                client.trigger_canvas_for("u1", "cv-1", context={"k": "v"})
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(caught.exception.attempts, 1)
            self.assertEqual(interceptor.attempts, 1, "a trigger may double-send: never retried")
            with self.assertRaises(BrazeSyncError):
                client.trigger_campaign(bs.build_trigger_campaign_request("cp-1", ["u1"]))
            self.assertEqual(interceptor.attempts, 2)
            # Identity calls are idempotent: UNAVAILABLE is retried like Track.
            with self.assertRaises(BrazeSyncError) as caught:
                client.identify_alias("u1", "chat_visitor", "v1")
            self.assertEqual(caught.exception.attempts, 3)


# ---------------------------------------------------------------------------
# The action-node examples for the Braze actions
# ---------------------------------------------------------------------------

class RetargetExampleTest(LiveServerTest):
    def setUp(self) -> None:
        super().setUp()
        os.environ["BRAZESYNC_TARGET"] = self.target
        self.addCleanup(os.environ.pop, "BRAZESYNC_TARGET", None)

    def test_conversation_end_tracks_then_triggers_with_context(self) -> None:
        user = unique_id("conv-retarget")
        log = ListLog()
        result = RetargetAfterConversation("cv-retarget").execute(
            log, {"user_id": user, "first_name": "Ada", "topic": "upgrade_plan",
                  "intent": "pricing"}, {"conversation_id": "c-42"})
        self.assertEqual(result["success"], "true", log.text())
        self.assertTrue(result["dispatch_id"], result)
        # Track first (profile + event in one request), then the trigger.
        self.assertEqual([p for p in paths_received() if not p.startswith("/users/export")],
                         ["/users/track", "/canvas/trigger/send"])
        (track,) = bodies_to("/users/track")
        self.assertEqual(track["attributes"], [{"external_id": user, "first_name": "Ada"}])
        self.assertEqual(track["events"][0]["name"], "conversation_ended")
        collected = {"topic": "upgrade_plan", "intent": "pricing", "conversation_id": "c-42"}
        self.assertEqual(track["events"][0]["properties"], collected)
        (trigger,) = bodies_to("/canvas/trigger/send")
        recipient = trigger["recipients"][0]
        self.assertEqual(recipient["external_user_id"], user)
        self.assertEqual(dict(trigger.get("context") or {}, **(recipient.get("context") or {})),
                         collected)
        self.assertEqual(len(messages_mentioning("cv-retarget", user, "upgrade_plan")), 1,
                         emulator_messages())

    def test_invalid_track_never_triggers(self) -> None:
        log = ListLog()
        result = RetargetAfterConversation("cv-retarget").execute(
            log, {"user_id": unique_id("conv-bad"), "email": "not-an-email", "topic": "x"})
        self.assertEqual(result, {"success": "error"})
        self.assertNotIn("/canvas/trigger/send", paths_received())
        self.assertIn("track failed", log.text())

    def test_unreachable_server_is_an_error_without_retrying_the_trigger(self) -> None:
        sock = closed_port()
        self.addCleanup(sock.close)
        interceptor = CountingInterceptor()
        node = RetargetAfterConversation("cv-retarget", lambda: BrazeSyncClient(
            f"127.0.0.1:{sock.getsockname()[1]}", retries=2, sleep=lambda _: None,
            interceptors=[interceptor]))
        log = ListLog()
        self.assertEqual(node.execute(log, {"user_id": "u1", "topic": "x"}),
                         {"success": "error"})
        self.assertEqual(interceptor.attempts, 2, "track retried once, no trigger attempted")


class AnonymousVisitorExampleTest(LiveServerTest):
    def setUp(self) -> None:
        super().setUp()
        os.environ["BRAZESYNC_TARGET"] = self.target
        self.addCleanup(os.environ.pop, "BRAZESYNC_TARGET", None)

    def test_visitor_tracked_by_alias_then_identified_on_login(self) -> None:
        visitor, user = unique_id("visitor"), unique_id("conv-login")
        node = AnonymousVisitorLogsIn()
        log = ListLog()
        self.assertEqual(node.execute(log, {"visitor_id": visitor, "first_name": "Ada"}),
                         {"success": "true", "step": "tracked_anonymous"}, log.text())
        (track,) = bodies_to("/users/track")
        alias = {"alias_label": "chat_visitor", "alias_name": visitor}
        self.assertEqual(track["attributes"], [{"user_alias": alias, "first_name": "Ada",
                                                "_update_existing_only": False}])
        self.assertEqual(track["events"][0]["user_alias"], alias)
        self.assertEqual(track["events"][0]["name"], "chat_started")
        anonymous = [p for p in live_profiles() if alias in p.get("user_aliases", [])]
        self.assertEqual(len(anonymous), 1, live_profiles())
        self.assertNotIn("external_id", anonymous[0])

        self.assertEqual(node.execute(log, {"visitor_id": visitor}, {"user_id": user}),
                         {"success": "true", "step": "identified"}, log.text())
        self.assertEqual(bodies_to("/users/identify"), [{"aliases_to_identify": [
            {"external_id": user, "user_alias": alias}]}])
        # The anonymous profile (first name, chat_started) is now the user's.
        profile = eventually(lambda: profile_with(user))
        self.assertIsNotNone(profile, live_profiles())
        self.assertEqual(profile.get("first_name"), "Ada", profile)
        self.assertIn(alias, profile.get("user_aliases", []), profile)

    def test_missing_visitor_id_is_an_error(self) -> None:
        log = ListLog()
        self.assertEqual(AnonymousVisitorLogsIn().execute(log, {"user_id": "u1"}),
                         {"success": "error"})
        self.assertIn("no visitor id", log.text())


# ---------------------------------------------------------------------------
# Offline: value mapping, error decoding, stub packaging
# ---------------------------------------------------------------------------

class OfflineTest(unittest.TestCase):
    def test_google_namespace_packages_merge(self) -> None:
        # The wheel's google.rpc (no __init__.py) and the system protobuf's
        # google.protobuf import side by side.
        import google.protobuf
        import google.rpc.status_pb2
        self.assertTrue(google.rpc.status_pb2.__file__.startswith(
            os.path.dirname(os.path.dirname(bs.__file__))), google.rpc.status_pb2.__file__)
        self.assertTrue(google.protobuf.__file__.startswith("/usr/lib/python3/dist-packages"),
                        google.protobuf.__file__)

    def test_attribute_value_mapping(self) -> None:
        av = bs.attribute_value
        self.assertEqual(av("x").WhichOneof("value"), "string_value")
        self.assertEqual(av(True).WhichOneof("value"), "bool_value")
        self.assertEqual(av(7).int_value, 7)
        self.assertEqual(av(0.5).double_value, 0.5)
        self.assertEqual(av(None).WhichOneof("value"), "null_value")
        self.assertEqual(list(av(["a", "b"]).array_value.values), ["a", "b"])
        self.assertEqual(av({"k": 1}).object_value["k"], 1)
        self.assertEqual(av([{"k": "v"}]).WhichOneof("value"), "object_array_value")
        when = av(dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
        self.assertEqual(when.time_value.ToJsonString(), "2024-05-01T12:00:00Z")
        self.assertEqual(av(bs.increment(2)).increment, 2)
        with self.assertRaises(TypeError):
            av(["a", 1])
        with self.assertRaises(TypeError):
            av(object())

    def test_decode_status_details(self) -> None:
        from google.rpc import error_details_pb2, status_pb2
        bad = error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="events[2].time",
                                                        description="bad")])
        status = status_pb2.Status(code=3, message="invalid")
        status.details.add().Pack(bad)
        violations, delay, message = bs.decode_status_details(
            [("grpc-status-details-bin", status.SerializeToString()), ("x", "y")])
        self.assertEqual(violations, [("events[2].time", "bad")])
        self.assertIsNone(delay)
        self.assertEqual(message, "invalid")
        self.assertEqual(bs.decode_status_details([("grpc-status-details-bin", b"\xff")]),
                         ([], None, ""))
        self.assertEqual(bs.decode_status_details(None), ([], None, ""))

    def test_track_user_forwards_profile_keywords_to_build_profile(self) -> None:
        client = BrazeSyncClient("127.0.0.1:1")
        self.addCleanup(client.close)
        sent: List[Tuple[Any, Optional[float]]] = []
        client.track = lambda request, timeout=None: sent.append((request, timeout))  # type: ignore
        alias = bs.UserRef(user_alias=bs.UserAlias(alias_name="a1", alias_label="crm"))
        client.track_user(user=alias, phone="+15043277269", dob=dt.date(1990, 12, 10),
                          update_existing_only=True, workspace="eu", timeout=2.5)
        self.assertEqual(sent, [(bs.build_request(
            attributes=[bs.build_profile(user=alias, phone="+15043277269", dob="1990-12-10",
                                         update_existing_only=True)],
            workspace="eu"), 2.5)])

    def test_build_lookup_request(self) -> None:
        request = bs.build_lookup_request(
            "u1", user_aliases=[("crm", "42"), bs.UserAlias(alias_label="l", alias_name="n")],
            fields_to_export=["first_name"], cache_policy="cache_only", max_wait=0.3,
            max_stale=dt.timedelta(hours=1), max_age=2, workspace="eu")
        self.assertEqual(list(request.external_ids), ["u1"])
        self.assertEqual([(a.alias_label, a.alias_name) for a in request.user_aliases],
                         [("crm", "42"), ("l", "n")])
        self.assertEqual(request.cache_policy, bs.CACHE_POLICY_CACHE_ONLY)
        self.assertEqual(request.max_wait.ToMilliseconds(), 300)
        self.assertEqual(request.max_stale.seconds, 3600)
        self.assertEqual(request.max_age.seconds, 2)
        self.assertEqual(request.workspace, "eu")
        unset = bs.build_lookup_request(["a", "b"], email_address="e@x")
        self.assertEqual((list(unset.external_ids), unset.email_address), (["a", "b"], "e@x"))
        self.assertFalse(unset.HasField("max_wait") or unset.HasField("max_stale"))
        with self.assertRaises(ValueError):
            bs.build_lookup_request("u1", cache_policy="sometimes")
        with self.assertRaises(TypeError):
            bs.build_lookup_request("u1", max_wait="300ms")

    def test_found_user_and_custom_attributes(self) -> None:
        response = bs.LookupUsersResponse(users=[bs.ExportedUser(first_name="Ada")])
        response.users[0].custom_attributes.update({"tier": "gold", "n": 3})
        found = response.results.add(outcome=bs.LOOKUP_OUTCOME_FOUND, user_indexes=[0])
        missing = response.results.add(outcome=bs.LOOKUP_OUTCOME_NOT_FOUND)
        broken = response.results.add(outcome=bs.LOOKUP_OUTCOME_FOUND, user_indexes=[7])
        self.assertEqual(bs.found_user(response, found).first_name, "Ada")
        self.assertEqual(bs.custom_attributes(bs.found_user(response, found)),
                         {"tier": "gold", "n": 3})
        self.assertIsNone(bs.found_user(response, missing))
        self.assertIsNone(bs.found_user(response, broken))
        self.assertEqual(bs.custom_attributes(None), {})

    def test_action_builders(self) -> None:
        self.assertEqual(bs.prioritization(["unidentified", "MOST_RECENTLY_UPDATED",
                                            bs.PRIORITIZATION_IDENTIFIED]),
                         [bs.PRIORITIZATION_UNIDENTIFIED,
                          bs.PRIORITIZATION_MOST_RECENTLY_UPDATED,
                          bs.PRIORITIZATION_IDENTIFIED])
        with self.assertRaises(ValueError):
            bs.prioritization(["newest"])
        r = bs.build_recipient(email="a@b.co", prioritization=["identified"],
                               context={"k": "v"}, send_to_existing_only=False,
                               attributes={"first_name": "Ada", "tier": "gold",
                                           "custom_attributes": {"n": 1}})
        self.assertEqual(r.email, "a@b.co")
        self.assertEqual(list(r.prioritization), [bs.PRIORITIZATION_IDENTIFIED])
        self.assertFalse(r.send_to_existing_only)
        self.assertTrue(r.HasField("send_to_existing_only"))
        self.assertFalse(r.attributes.HasField("user"))
        self.assertEqual(r.attributes.first_name, "Ada")
        self.assertEqual(sorted(r.attributes.custom_attributes), ["n", "tier"])
        self.assertEqual(bs.build_recipient(user_alias=("crm", "7")).user_alias.alias_name, "7")
        with self.assertRaises(ValueError):
            bs.build_recipient("u1", email="a@b.co")
        request = bs.build_trigger_canvas_request("cv", ["u1", r], context={"t": 1},
                                                  workspace="eu")
        self.assertEqual([x.WhichOneof("id") for x in request.recipients],
                         ["external_user_id", "email"])
        self.assertEqual(request.context["t"], 1)
        sub = bs.build_subscription_request("g", False, phones=["+15043277269"],
                                            use_double_opt_in_logic=True)
        self.assertEqual(sub.subscription_groups[0].subscription_state,
                         bs.SUBSCRIPTION_STATE_UNSUBSCRIBED)
        self.assertTrue(sub.subscription_groups[0].use_double_opt_in_logic)
        ok = bs.TriggerResponse(results=[bs.ActionResult(status=bs.ACTION_STATUS_ACCEPTED),
                                         bs.ActionResult(status=bs.ACTION_STATUS_DUPLICATE)])
        self.assertTrue(bs.all_accepted(ok))
        ok.results.add(status=bs.ACTION_STATUS_FAILED)
        self.assertFalse(bs.all_accepted(ok))
        self.assertFalse(bs.all_accepted(bs.IdentityResponse()))

    def test_track_user_unknown_keyword_raises_before_sending(self) -> None:
        interceptor = CountingInterceptor()
        with BrazeSyncClient("127.0.0.1:1", interceptors=[interceptor]) as client:
            with self.assertRaisesRegex(TypeError, "frist_name"):
                client.track_user(external_id="u", frist_name="Ada")
            with self.assertRaises(TypeError):
                client.track_user("u", "Ada")  # profile fields are keyword-only
        self.assertEqual(interceptor.attempts, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
