"""BrazeSync's Bazel macros: the mirror of the CMake helpers in /CMakeLists.txt.

    CMake                                  Bazel
    brazesync_target_defaults()        ->  BRAZESYNC_COPTS (+ the repo root, which
                                           Bazel always puts on the include path)
    brazesync_cc_library(NAME SRCS DEPS) -> brazesync_cc_library(name, srcs, hdrs, deps)
    brazesync_cc_test(NAME SRCS DEPS)  ->  brazesync_cc_test(name, srcs, deps)
    add_executable + defaults          ->  brazesync_cc_binary(name, srcs, deps)

Target names are the CMake target names, so a CMake DEPS list reads the same
as the Bazel deps list. System libraries come from @system_libs (see
system_libs.bzl).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# Same as target_compile_options() in brazesync_target_defaults().
BRAZESYNC_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
]

def brazesync_cc_library(name, srcs = [], hdrs = [], deps = [], copts = [], **kwargs):
    """One library per .h/.cc pair, compiled with the project's warnings."""
    cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        deps = deps,
        copts = BRAZESYNC_COPTS + copts,
        **kwargs
    )

def brazesync_cc_binary(name, srcs = [], deps = [], copts = [], **kwargs):
    """An executable compiled with the project's warnings."""
    cc_binary(
        name = name,
        srcs = srcs,
        deps = deps,
        copts = BRAZESYNC_COPTS + copts,
        **kwargs
    )

def brazesync_cc_test(name, srcs = [], deps = [], copts = [], size = "medium", **kwargs):
    """One GoogleTest binary per *_test.cc, linked with gmock + gtest_main.

    size = "medium" gives the 300 s timeout the CMake build sets.
    """
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + ["@system_libs//:gtest_main"],
        copts = BRAZESYNC_COPTS + copts,
        size = size,
        **kwargs
    )
