"""Offline stub of @rules_cc//cc:defs.bzl for Debian's bazel 4.2.3.

Debian's bazel-rules-cc 0.0.4 is too new for bazel 4.2.3 (it needs
use_cpp_toolchain) and nothing can be downloaded, so this re-exports the
native rules. Plain defs only: bazel 4 rejects nested functions.
"""

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)
