#!/usr/bin/env bash
# Packages one release build: the binary, README, licence, shell completions and man page, in
# q-status-TARGET.tar.gz (q-status-TARGET.zip for Windows), plus its .sha256 line.
#
# usage: scripts/package.sh TARGET [OUT_DIR]   (after cargo build --release --target TARGET)
#
# The completions and man page are printed by the binary itself, so the build must run on the
# packaging machine (every release job builds natively, or under Rosetta for x86_64 macOS).
set -euo pipefail

target=${1:?usage: scripts/package.sh TARGET [OUT_DIR]}
out=${2:-dist}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=
[[ $target == *windows* ]] && exe=.exe
bin=$root/target/$target/release/q-status$exe
[[ -x $bin ]] || { echo "package: $bin not found; build it first" >&2; exit 2; }
for f in README.md LICENSE; do
    [[ -f $root/$f ]] || { echo "package: $f is missing" >&2; exit 2; }
done

name=q-status-$target
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/$name
mkdir -p "$dir/completions" "$dir/man"
cp "$bin" "$dir/"
cp "$root/README.md" "$root/LICENSE" "$dir/"
"$bin" completions bash >"$dir/completions/q-status.bash"
"$bin" completions zsh >"$dir/completions/_q-status"
"$bin" completions fish >"$dir/completions/q-status.fish"
"$bin" completions powershell >"$dir/completions/_q-status.ps1"
"$bin" completions elvish >"$dir/completions/q-status.elv"
"$bin" man >"$dir/man/q-status.1"

if [[ -n $exe ]]; then
    asset=$name.zip
    rm -f "$out/$asset"
    if command -v 7z >/dev/null 2>&1; then
        (cd "$stage" && 7z a -tzip -bso0 "$out/$asset" "$name")
    else
        (cd "$stage" && zip -qr "$out/$asset" "$name")
    fi
else
    asset=$name.tar.gz
    tar -czf "$out/$asset" -C "$stage" "$name"
fi

if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$out/$asset")
else
    sum=$(shasum -a 256 "$out/$asset")
fi
echo "${sum%% *}  $asset" >"$out/$asset.sha256"
echo "package: $out/$asset"
