"""Shared start-up and helpers of the Python client tests: the Braze emulator
and ``brazesync_server`` on free loopback ports (readiness through
--port_file), the emulator's inspection endpoints, and small test doubles.

Each test module calls :func:`start` in ``setUpModule`` and :func:`stop` in
``tearDownModule``. The binaries come from $BRAZESYNC_SERVER_BIN and
$BRAZE_EMULATOR_BIN (run_tests.sh sets them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request
import uuid
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import grpc

#: client/python/examples: the action nodes, loaded by path (they are not in the package).
EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "examples")

API_KEY = "py-client-test-key"
STARTUP_TIMEOUT_S = 30.0


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def wait_for_port_file(path: str, proc: subprocess.Popen, timeout: float) -> int:
    """Bounded poll until PROC has written its port to PATH (atomically)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited early with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {path}")


class CountingInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Counts attempts and records each attempt's metadata and final code."""

    def __init__(self) -> None:
        self.attempts = 0
        self.metadata: List[Tuple[Tuple[str, str], ...]] = []
        self.codes: List[grpc.StatusCode] = []

    def intercept_unary_unary(self, continuation, client_call_details, request):
        self.attempts += 1
        self.metadata.append(tuple(client_call_details.metadata or ()))
        outcome = continuation(client_call_details, request)
        self.codes.append(outcome.code())
        return outcome


class ListLog:
    """A logger-like sink for the action node."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def info(self, msg: str) -> None:
        self.lines.append("INFO " + msg)

    def error(self, msg: str) -> None:
        self.lines.append("ERROR " + msg)

    def text(self) -> str:
        return "\n".join(self.lines)


def closed_port() -> socket.socket:
    """A socket bound to a free port but not listening: connects are refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s


# ---------------------------------------------------------------------------
# Processes (one emulator + server for the whole module)
# ---------------------------------------------------------------------------

_procs: List[subprocess.Popen] = []
_work_dir: Optional[str] = None
EMULATOR_PORT = 0
SERVER_PORT = 0


def _start(args: List[str], name: str) -> Tuple[subprocess.Popen, int]:
    assert _work_dir is not None
    port_file = os.path.join(_work_dir, f"{name}.port")
    log = open(os.path.join(_work_dir, f"{name}.log"), "wb")
    env = dict(os.environ, BRAZE_API_KEY=API_KEY)
    proc = subprocess.Popen(args + [f"--port_file={port_file}"], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    log.close()
    _procs.append(proc)
    try:
        return proc, wait_for_port_file(port_file, proc, STARTUP_TIMEOUT_S)
    except RuntimeError as error:
        with open(os.path.join(_work_dir, f"{name}.log"), errors="replace") as f:
            raise RuntimeError(f"{error}; its log:\n{f.read()[-2000:]}") from None


def start() -> None:
    """Starts the emulator and the server (with a durable outbox, so the
    admin rpcs answer) for the calling test module."""
    global _work_dir, EMULATOR_PORT, SERVER_PORT
    server_bin = os.environ.get("BRAZESYNC_SERVER_BIN")
    emulator_bin = os.environ.get("BRAZE_EMULATOR_BIN")
    if not server_bin or not emulator_bin:
        raise unittest.SkipTest("set BRAZESYNC_SERVER_BIN and BRAZE_EMULATOR_BIN")
    _work_dir = tempfile.mkdtemp(prefix="brazesync-py-")
    # Braze's export shows a write tens of seconds late; here ten minutes, so a
    # lookup right after Track finds the tracked values only through
    # BrazeSync's read-your-writes overlay.
    _, EMULATOR_PORT = _start([emulator_bin, "--listen=127.0.0.1:0", "--export_lag_ms=600000"],
                              "emulator")
    data_dir = os.path.join(_work_dir, "data")
    os.mkdir(data_dir)
    _, SERVER_PORT = _start([server_bin, "--listen=127.0.0.1:0",
                             f"--braze_endpoint=http://127.0.0.1:{EMULATOR_PORT}",
                             f"--data_dir={data_dir}"], "server")


def stop() -> None:
    for proc in _procs:
        proc.terminate()
    for proc in _procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _procs.clear()
    if _work_dir:
        shutil.rmtree(_work_dir, ignore_errors=True)


def work_dir() -> str:
    """This module's scratch directory (removed by :func:`stop`)."""
    assert _work_dir is not None
    return _work_dir


def target() -> str:
    return f"127.0.0.1:{SERVER_PORT}"


def load_example(name: str) -> ModuleType:
    """Imports client/python/examples/NAME.py by path: the examples import
    the installed ``brazesync`` like any user code."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES_DIR, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emulator(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(f"http://127.0.0.1:{EMULATOR_PORT}{path}", data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def received_bodies() -> List[Dict[str, Any]]:
    """The bodies of the /users/track requests Braze received (lookups' export
    calls, POST /users/export/ids, are left out)."""
    return [r["body"] for r in emulator("GET", "/_emulator/requests")
            if r.get("path", "/users/track").startswith("/users/track")]


def bodies_to(path: str) -> List[Dict[str, Any]]:
    """The bodies of the requests Braze received at PATH (e.g. "/users/identify")."""
    return [r["body"] for r in emulator("GET", "/_emulator/requests") if r.get("path") == path]


def paths_received() -> List[str]:
    """Every Braze path the emulator received, in order."""
    return [r.get("path", "") for r in emulator("GET", "/_emulator/requests")]


def emulator_messages() -> List[Any]:
    """The messages the emulator's triggers sent (GET /_emulator/messages)."""
    answer = emulator("GET", "/_emulator/messages")
    return answer.get("messages", []) if isinstance(answer, dict) else answer


def messages_mentioning(*needles: str) -> List[Any]:
    """The sent messages whose JSON contains every needle (format-agnostic)."""
    return [m for m in emulator_messages() if all(n in json.dumps(m) for n in needles)]


def live_profiles() -> List[Dict[str, Any]]:
    """The emulator's live profiles (GET /_emulator/profiles; never lagged)."""
    return emulator("GET", "/_emulator/profiles")


def profile_with(external_id: str) -> Optional[Dict[str, Any]]:
    return next((p for p in live_profiles() if p.get("external_id") == external_id), None)


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Polls CHECK (bounded) until it returns a truthy value; returns the last value.
    Braze queues merges and deletes, so their effect may come a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


def unique_id(prefix: str) -> str:
    """An external id no other test (or earlier run against the same server
    cache) has used: lookups are cached by the server, across emulator resets."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


