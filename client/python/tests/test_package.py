"""Offline tests of the package itself: it is the installed one (not the
source tree), both clients cover every rpc of every service in the protos
with the same signatures, and the built wheel and sdist hold the generated
code, its .pyi stubs and py.typed. See run_tests.sh.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
import tarfile
import unittest
import zipfile
from typing import Iterator, List, Tuple

import brazesync
import brazesync.v1
from brazesync import AsyncBrazeSyncClient, BrazeSyncClient, _core

PROTO_FILES = ("actions", "admin", "brazesync", "config", "identity", "lookup", "messaging",
               "subscriptions", "types")
SERVICE_FILES = ("admin", "brazesync", "identity", "lookup", "messaging", "subscriptions")


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def service_methods() -> Iterator[Tuple[str, object]]:
    """(service name, MethodDescriptor) of every rpc in every brazesync.v1 module."""
    for info in pkgutil.iter_modules(brazesync.v1.__path__):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"brazesync.v1.{info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                yield service.name, method


class InstalledPackageTest(unittest.TestCase):
    def test_imported_from_the_venv_not_the_source_tree(self) -> None:
        self.assertNotEqual(sys.prefix, sys.base_prefix, "run with a venv's python")
        self.assertTrue(brazesync.__file__.startswith(sys.prefix), brazesync.__file__)
        self.assertNotIn(os.path.join("client", "python", "src"), brazesync.__file__)

    def test_every_proto_is_generated_with_type_stubs(self) -> None:
        here = os.path.dirname(brazesync.v1.__file__)
        for name in PROTO_FILES:
            for suffix in ("_pb2.py", "_pb2.pyi"):
                self.assertTrue(os.path.isfile(os.path.join(here, name + suffix)), name + suffix)
        for name in SERVICE_FILES:
            for suffix in ("_pb2_grpc.py", "_pb2_grpc.pyi"):
                self.assertTrue(os.path.isfile(os.path.join(here, name + suffix)), name + suffix)
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(brazesync.__file__),
                                                    "py.typed")))

    def test_the_old_package_is_gone(self) -> None:
        with self.assertRaises(ImportError):
            importlib.import_module("brazesync_client")


class RpcCoverageTest(unittest.TestCase):
    def test_every_rpc_of_every_service_is_a_method_of_both_clients(self) -> None:
        seen = set()
        for service, method in service_methods():
            name = snake_case(method.name)
            seen.add((service, method.name))
            streaming = method.client_streaming or method.server_streaming
            sync = getattr(BrazeSyncClient, name, None)
            aio = getattr(AsyncBrazeSyncClient, name, None)
            self.assertIsNotNone(sync, f"BrazeSyncClient lacks {name} ({service}.{method.name})")
            self.assertIsNotNone(aio, f"AsyncBrazeSyncClient lacks {name}")
            if streaming:
                self.assertTrue(inspect.isgeneratorfunction(sync), name)
                self.assertTrue(inspect.isasyncgenfunction(aio), name)
            else:
                self.assertTrue(inspect.iscoroutinefunction(aio), name)
        self.assertEqual(len(seen), 17, sorted(seen))
        self.assertEqual({(r.service, r.method) for r in _core.RPCS}, seen)

    def test_the_rpc_table_matches_the_protos(self) -> None:
        methods = {(service, m.name): m for service, m in service_methods()}
        for rpc in _core.RPCS:
            method = methods[(rpc.service, rpc.method)]
            self.assertEqual(rpc.path, f"/{method.containing_service.full_name}/{method.name}")
            self.assertIs(rpc.request_type.DESCRIPTOR, method.input_type, rpc.method)
            self.assertIs(rpc.response_type.DESCRIPTOR, method.output_type, rpc.method)
            self.assertEqual(rpc.streaming, method.client_streaming or method.server_streaming)

    def test_retry_policy_never_retries_triggers_or_streams(self) -> None:
        not_retried = sorted(r.method for r in _core.RPCS if not r.retry_unavailable)
        self.assertEqual(not_retried, ["TrackStream", "TriggerCampaign", "TriggerCanvas"])

    def test_both_clients_have_the_same_public_methods_and_signatures(self) -> None:
        def public(cls: type) -> List[str]:
            return sorted(n for n, v in vars(cls).items()
                          if not n.startswith("_") and callable(v))
        self.assertEqual(public(BrazeSyncClient), public(AsyncBrazeSyncClient))
        for name in public(BrazeSyncClient):
            if name in ("from_env",):
                continue
            sync = inspect.signature(getattr(BrazeSyncClient, name))
            aio = inspect.signature(getattr(AsyncBrazeSyncClient, name))
            self.assertEqual(list(sync.parameters), list(aio.parameters), name)
            for param in sync.parameters.values():
                other = aio.parameters[param.name]
                self.assertEqual((param.kind, param.default), (other.kind, other.default),
                                 f"{name}({param.name})")
            self.assertTrue(getattr(AsyncBrazeSyncClient, name).__doc__, name)


@unittest.skipUnless(os.environ.get("BRAZESYNC_DIST_DIR"), "set BRAZESYNC_DIST_DIR")
class DistributionTest(unittest.TestCase):
    """The files run_tests.sh built (BRAZESYNC_DIST_DIR)."""

    def expected(self) -> List[str]:
        names = ["brazesync/__init__.py", "brazesync/py.typed", "brazesync/aio.py",
                 "brazesync/client.py", "brazesync/action_node.py", "brazesync/v1/__init__.py",
                 "google/rpc/status_pb2.py", "google/rpc/status_pb2.pyi", "google/rpc/py.typed",
                 "google/rpc/error_details_pb2.py", "google/rpc/error_details_pb2.pyi"]
        names += [f"brazesync/v1/{p}_pb2{ext}" for p in PROTO_FILES for ext in (".py", ".pyi")]
        names += [f"brazesync/v1/{p}_pb2_grpc{ext}" for p in SERVICE_FILES
                  for ext in (".py", ".pyi")]
        return names

    def dist_file(self, suffix: str) -> str:
        directory = os.environ["BRAZESYNC_DIST_DIR"]
        (name,) = [n for n in os.listdir(directory) if n.endswith(suffix)]
        return os.path.join(directory, name)

    def test_wheel_contents(self) -> None:
        names = set(zipfile.ZipFile(self.dist_file(".whl")).namelist())
        for expected in self.expected():
            self.assertIn(expected, names)
        self.assertFalse([n for n in names if n.startswith("google/") and
                          not n.startswith("google/rpc/")], "only google.rpc is shipped")
        self.assertFalse([n for n in names if n.endswith("__init__.py") and
                          n.startswith("google/")], "google and google.rpc stay namespaces")
        metadata = zipfile.ZipFile(self.dist_file(".whl")).read(
            "brazesync-0.1.0.dist-info/METADATA").decode()
        self.assertIn("Requires-Dist: grpcio (<2,>=1.51.1)", metadata)
        self.assertIn("Requires-Dist: protobuf (<5,>=4.21.12)", metadata)

    def test_sdist_carries_the_generated_code(self) -> None:
        with tarfile.open(self.dist_file(".tar.gz")) as sdist:
            names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
        for expected in self.expected():
            self.assertIn("src/" + expected, names)
