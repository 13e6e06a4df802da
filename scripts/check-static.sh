#!/usr/bin/env bash
# Checks that a binary needs no shared libraries: `ldd` finds none, and it runs in an empty
# root (chroot holding only the binary) where there are none to find.
#
# usage: scripts/check-static.sh BINARY
set -euo pipefail

bin=${1:?usage: scripts/check-static.sh BINARY}
[[ -x $bin ]] || { echo "check-static: $bin is not an executable file" >&2; exit 2; }

deps=$(ldd "$bin" 2>&1 || true)
case $deps in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *)
        echo "check-static: FAIL: $bin links shared libraries:" >&2
        echo "$deps" >&2
        exit 1
        ;;
esac
echo "check-static: ldd: ${deps//$'\n'/ }"

# The real proof: an empty root has no libc, no loader, nothing but the binary.
as_root=()
if ((EUID != 0)); then
    if sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        echo "check-static: not root and no sudo; skipped the empty-root run"
        exit 0
    fi
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$bin" "$root/q-status"
version=$("${as_root[@]}" chroot "$root" /q-status --version)
echo "check-static: ok: '$version' runs in an empty root ($(find "$root" | wc -l) entries)"
