"""Build hook of the `brazesync` package: generates the protobuf/gRPC code
and its .pyi stubs from the repository's protos before setuptools collects
the files (metadata is in pyproject.toml).

- Building from the repository (``client/python`` with ``../../protos``):
  protoc 3.21 (``--python_out``), ``grpc_python_plugin`` (``*_pb2_grpc.py``
  for the files that define services) and mypy-protobuf
  (``protoc-gen-mypy`` / ``protoc-gen-mypy_grpc``: the ``.pyi`` files)
  write into ``src/brazesync/v1`` and ``src/google/rpc`` (git-ignored), for
  both the sdist and the wheel. Debian 12 packages: protobuf-compiler,
  protobuf-compiler-grpc, mypy-protobuf. ``$BRAZESYNC_PROTOS_DIR``, ``$PROTOC``,
  ``$GRPC_PYTHON_PLUGIN`` override where they are found.
- Building from an sdist (it has PKG-INFO): the generated files are in it
  already and nothing is run, so no protoc is needed.

Only google/rpc/{status,error_details}.proto of the Google protos are
generated: brazesync.proto and the error details need them, and Debian has
no googleapis-common-protos. No health or reflection stubs: the client does
not call those services, and a generated ``grpc/`` package would shadow grpcio.
"""

import glob
import os
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.egg_info import egg_info
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
GENERATED_DIRS = ("brazesync/v1", "google/rpc")
GOOGLE_PROTOS = ("google/rpc/status.proto", "google/rpc/error_details.proto")


def _tool(env_name, name, package):
    path = os.environ.get(env_name) or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise SystemExit(f"brazesync build: {name} not found (set ${env_name}, or "
                         f"apt-get install {package}); it generates brazesync.v1")
    return path


def _protos_dir():
    """The protos to generate from, or None when building from an sdist."""
    if os.path.exists(os.path.join(HERE, "PKG-INFO")):
        return None
    protos = os.environ.get("BRAZESYNC_PROTOS_DIR") or os.path.join(HERE, "..", "..", "protos")
    if not os.path.isfile(os.path.join(protos, "brazesync", "v1", "brazesync.proto")):
        raise SystemExit(f"brazesync build: no brazesync/v1/brazesync.proto under {protos} "
                         "(set $BRAZESYNC_PROTOS_DIR, or build from the sdist)")
    return os.path.abspath(protos)


_generated = False


def generate():
    """Regenerates src/brazesync/v1 and src/google/rpc from the protos (once
    per process: egg_info, sdist and build_py may all ask)."""
    global _generated
    protos = _protos_dir()
    if protos is None or _generated:
        return
    protoc = _tool("PROTOC", "protoc", "protobuf-compiler")
    grpc_plugin = _tool("GRPC_PYTHON_PLUGIN", "grpc_python_plugin", "protobuf-compiler-grpc")
    mypy_plugin = _tool("PROTOC_GEN_MYPY", "protoc-gen-mypy", "mypy-protobuf")
    mypy_grpc_plugin = _tool("PROTOC_GEN_MYPY_GRPC", "protoc-gen-mypy_grpc", "mypy-protobuf")
    files = sorted(os.path.relpath(p, protos)
                   for p in glob.glob(os.path.join(protos, "brazesync", "v1", "*.proto")))
    with tempfile.TemporaryDirectory() as out:
        command = [protoc, "-I", protos,
                   f"--plugin=protoc-gen-grpc_python={grpc_plugin}",
                   f"--plugin=protoc-gen-mypy={mypy_plugin}",
                   f"--plugin=protoc-gen-mypy_grpc={mypy_grpc_plugin}",
                   f"--python_out={out}", f"--grpc_python_out={out}",
                   f"--mypy_out=quiet:{out}", f"--mypy_grpc_out=quiet:{out}",
                   *files, *GOOGLE_PROTOS]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"brazesync build: protoc failed:\n{run.stderr}")
        # The plugins write a *_pb2_grpc.py(i) for every file; keep those of
        # the files that define services.
        for stub in glob.glob(os.path.join(out, "*", "*", "*_pb2_grpc.py")):
            with open(stub) as f:
                defines_service = "Stub(object)" in f.read()
            if not defines_service:
                os.remove(stub)
                os.remove(stub + "i")
        for directory in GENERATED_DIRS:
            target = os.path.join(SRC, directory)
            os.makedirs(target, exist_ok=True)
            for stale in glob.glob(os.path.join(target, "*_pb2*.py*")):
                os.remove(stale)
            for produced in glob.glob(os.path.join(out, directory, "*")):
                shutil.copy2(produced, target)
    # PEP 561 marker for the google.rpc namespace subpackage ("partial": only
    # two of google.rpc's modules are here), so type checkers read its .pyi.
    with open(os.path.join(SRC, "google", "rpc", "py.typed"), "w") as f:
        f.write("partial\n")
    _generated = True


def _generating_first(command):
    """``command`` with generate() run before it: egg_info lists the package
    files (for the sdist), build_py copies them (for the wheel)."""
    class WithProtos(command):
        def run(self):
            generate()
            super().run()
    WithProtos.__name__ = command.__name__
    return WithProtos


setup(cmdclass={c.__name__: _generating_first(c) for c in (egg_info, sdist, build_py)})
