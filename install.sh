#!/usr/bin/env bash
# Installs the q-status binary from a GitHub release.
#
#   curl -fsSL https://github.com/q-status/q-status/releases/latest/download/install.sh | bash
#
# Picks the archive for this OS and CPU, verifies it against the release's SHA256SUMS, and
# installs `q-status` into ~/.local/bin. Nothing is written anywhere until the checksum matches,
# and a failed run leaves nothing behind.
#
# Environment:
#   Q_STATUS_INSTALL_DIR  where to put the binary (default: ~/.local/bin)
#   Q_STATUS_VERSION      a release tag such as v0.1.0 (default: the latest release)
#   Q_STATUS_RELEASE_URL  the folder holding the release's assets (default: the GitHub release
#                         of Q_STATUS_VERSION); a mirror, or a local server in the tests
set -euo pipefail

repo=${Q_STATUS_REPO:-q-status/q-status}
version=${Q_STATUS_VERSION:-latest}
install_dir=${Q_STATUS_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}
if [[ -n ${Q_STATUS_RELEASE_URL:-} ]]; then
    base=${Q_STATUS_RELEASE_URL%/}
elif [[ $version == latest ]]; then
    base=https://github.com/$repo/releases/latest/download
else
    base=https://github.com/$repo/releases/download/$version
fi

say() { printf 'q-status install: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# The release target for this machine. Linux gets the static musl build: it runs on any
# distribution, old glibc or none.
detect_target() {
    local os arch
    os=$(uname -s)
    arch=$(uname -m)
    case $arch in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) die "no release build for CPU '$arch'; build from source: cargo install --locked q-status" ;;
    esac
    case $os in
        Linux) echo "$arch-unknown-linux-musl" ;;
        Darwin)
            # A shell under Rosetta reports x86_64 on Apple silicon; the native build is better.
            if [[ $arch == x86_64 ]] && [[ $(sysctl -n hw.optional.arm64 2>/dev/null || true) == 1 ]]; then
                arch=aarch64
            fi
            echo "$arch-apple-darwin"
            ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT)
            die "on Windows, download q-status-x86_64-pc-windows-msvc.zip from $base and put q-status.exe on your PATH"
            ;;
        *) die "no release build for OS '$os'; build from source: cargo install --locked q-status" ;;
    esac
}

fetch() {
    local url=$1 out=$2
    if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,http' -fsSL --retry 2 -o "$out" "$url"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$out" "$url"
    else
        die "need curl or wget to download $url"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "need sha256sum or shasum to verify the download"
    fi
}

target=$(detect_target)
asset=q-status-$target.tar.gz
tmp=$(mktemp -d "${TMPDIR:-/tmp}/q-status-install.XXXXXX")
staged=
cleanup() {
    rm -rf "$tmp"
    if [[ -n $staged ]]; then rm -f "$staged"; fi
}
trap cleanup EXIT

say "downloading $asset ($version) from $base"
fetch "$base/$asset" "$tmp/$asset" || die "could not download $base/$asset"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || die "could not download $base/SHA256SUMS"

expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$tmp/SHA256SUMS")
[[ -n $expected ]] || die "SHA256SUMS has no line for $asset"
actual=$(sha256_of "$tmp/$asset")
if [[ $actual != "$expected" ]]; then
    die "checksum mismatch for $asset: expected $expected, got $actual; nothing was installed"
fi

tar -xzf "$tmp/$asset" -C "$tmp"
binary=$tmp/q-status-$target/q-status
[[ -f $binary ]] || die "$asset does not hold q-status-$target/q-status"

# Copy beside the destination, then rename: a running prompt never sees a half-written binary.
mkdir -p "$install_dir"
staged=$install_dir/.q-status.install.$$
cp "$binary" "$staged"
chmod 755 "$staged"
mv -f "$staged" "$install_dir/q-status"
staged=
say "installed $install_dir/q-status ($target)"

case ":$PATH:" in
    *":$install_dir:"*) ;;
    *) say "$install_dir is not on your PATH; add it, e.g.: export PATH=\"$install_dir:\$PATH\"" ;;
esac
cat >&2 <<MSG

Add the gauge to your prompt (one line, in your shell's startup file):
  zsh   ~/.zshrc                   eval "\$(q-status init zsh)"
  bash  ~/.bashrc                  eval "\$(q-status init bash)"
  fish  ~/.config/fish/config.fish q-status init fish | source
  tmux  ~/.tmux.conf               set -ag status-right ' #(q-status --shell tmux --dir "#{pane_current_path}")'
  starship: q-status init starship prints a [custom.q_status] module for starship.toml
Check what it sees with: q-status doctor
MSG
