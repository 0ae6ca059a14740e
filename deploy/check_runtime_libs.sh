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
for bin in "$@"; do
  if [ ! -f "$bin" ]; then echo "check_runtime_libs: no such binary: $bin" >&2; exit 2; fi
  # Resolve each NEEDED soname to a path through ldd (same loader search the image uses).
  resolved="$(ldd "$bin")"
  while read -r soname; do
    path="$(awk -v s="$soname" '$1 == s && $3 ~ /^\// {print $3}' <<<"$resolved" | head -n1)"
    if [ -z "$path" ]; then
      echo "check_runtime_libs: $bin: $soname not found by ldd" >&2; status=1; continue
    fi
    # dpkg -S knows the path a package installed, which may be /lib or /usr/lib (merged /usr).
    pkg=""
    for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
      pkg="$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
      if [ -n "$pkg" ]; then break; fi
    done
    if [ -z "$pkg" ]; then
      echo "check_runtime_libs: $bin: $soname ($path) belongs to no Debian package" >&2; status=1; continue
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
  done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
echo "check_runtime_libs: binaries need: $(printf '%s\n' "${!needed_pkgs[@]}" | sort | tr '\n' ' ')"
exit "$status"
