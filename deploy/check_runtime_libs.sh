#!/usr/bin/env bash
# Checks that every shared library a binary links directly (ELF NEEDED) is
# shipped by a Debian package listed in deploy/runtime-packages.txt, so the
# runtime image (deploy/Dockerfile) can start it. Run on a Debian 12 machine
# where the binaries were built (the image's builder stage, or a developer box).
#
#   deploy/check_runtime_libs.sh deploy/runtime-packages.txt BINARY...
#
# Prints the packages the binaries need; exits 1 naming each library whose
# package is missing from the list.
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 RUNTIME_PACKAGES_TXT BINARY..." >&2
  exit 2
fi
list="$1"; shift
mapfile -t allowed < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')
status=0
declare -A needed_pkgs=()
# Every candidate path of every NEEDED library, resolved through ldd (the
# loader search the image uses), then asked of dpkg in one call: dpkg -S
# reads its whole database each time, so one call per library took a minute.
declare -A soname_paths=()
candidates=()
for bin in "$@"; do
  if [ ! -f "$bin" ]; then echo "check_runtime_libs: no such binary: $bin" >&2; exit 2; fi
  resolved="$(ldd "$bin")"
  while read -r soname; do
    path="$(awk -v s="$soname" '$1 == s && $3 ~ /^\// {print $3}' <<<"$resolved" | head -n1)"
    if [ -z "$path" ]; then
      echo "check_runtime_libs: $bin: $soname not found by ldd" >&2; status=1; continue
    fi
    # dpkg knows the path a package installed, which may be /lib or /usr/lib (merged /usr).
    soname_paths["$bin|$soname"]="$path $(readlink -f "$path") /usr$path ${path#/usr}"
    # shellcheck disable=SC2206
    candidates+=(${soname_paths["$bin|$soname"]})
  done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
declare -A package_of=()
if [ "${#candidates[@]}" -gt 0 ]; then
  # "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1"; paths no package owns only warn.
  while IFS= read -r line; do
    package_of["${line##*: }"]="$(cut -d: -f1 <<<"${line%%,*}")"
  done < <(dpkg -S "${candidates[@]}" 2>/dev/null || true)
fi
for key in "${!soname_paths[@]}"; do
  bin="${key%%|*}"; soname="${key#*|}"
  pkg=""
  for candidate in ${soname_paths["$key"]}; do
    pkg="${package_of["$candidate"]:-}"
    if [ -n "$pkg" ]; then break; fi
  done
  if [ -z "$pkg" ]; then
    echo "check_runtime_libs: $bin: $soname belongs to no Debian package" >&2; status=1; continue
  fi
  needed_pkgs["$pkg"]=1
  found=0
  for a in "${allowed[@]}"; do
    if [ "$a" = "$pkg" ]; then found=1; break; fi
  done
  if [ "$found" = 0 ]; then
    echo "check_runtime_libs: $bin needs $soname from package $pkg: add it to $list" >&2
    status=1
  fi
done
echo "check_runtime_libs: binaries need: $(printf '%s\n' "${!needed_pkgs[@]}" | sort | tr '\n' ' ')"
exit "$status"
