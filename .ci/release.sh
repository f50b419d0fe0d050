#!/usr/bin/env bash
# Builds the release archives of hooks into dist/:
#   hooks_<version>_<os>_<arch>.tar.gz (.zip for Windows) and SHA256SUMS,
# static (CGO_ENABLED=0) for linux/amd64, linux/arm64, darwin/amd64,
# darwin/arm64 and windows/amd64, with version, commit and date stamped
# into "hooks version".
#
# Reproducible: the same commit gives the same bytes. -trimpath drops build
# paths, the date is the commit's time (SOURCE_DATE_EPOCH, overridable),
# and .ci/pack.go writes archives with sorted entries, fixed mtimes,
# owners and modes. The script packs everything twice and fails if the
# two SHA256SUMS differ.
#
# Usage: .ci/release.sh            (VERSION defaults to git describe)
#        VERSION=v1.2.3 .ci/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
COMMIT="$(git rev-parse HEAD 2>/dev/null || echo none)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
DATE="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
TARGETS="${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}"
LDFLAGS="-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf dist
mkdir -p dist

for target in $TARGETS; do
  goos="${target%/*}" goarch="${target#*/}"
  name="hooks_${VERSION}_${goos}_${goarch}"
  exe=hooks
  [ "$goos" = windows ] && exe=hooks.exe
  mkdir -p "$work/$name"
  echo "build $target"
  CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" go build -trimpath -ldflags "$LDFLAGS" -o "$work/$name/$exe" .
  cp README.md "$work/$name/README.md"
done

go build -o "$work/pack" .ci/pack.go
pack() { # pack DIR: writes the archives and SHA256SUMS into DIR
  local out="$1"
  for dir in "$work"/hooks_*; do
    local name files
    name="$(basename "$dir")"
    files=("$dir"/*)
    if [[ "$name" == *_windows_* ]]; then
      "$work/pack" "$out/$name.zip" "$name" "${files[@]}"
    else
      "$work/pack" "$out/$name.tar.gz" "$name" "${files[@]}"
    fi
  done
  (cd "$out" && sha256sum hooks_* > SHA256SUMS)
}
pack dist
mkdir -p "$work/again"
pack "$work/again"
if ! cmp -s dist/SHA256SUMS "$work/again/SHA256SUMS"; then
  echo "release archives are not reproducible:" >&2
  diff dist/SHA256SUMS "$work/again/SHA256SUMS" >&2 || true
  exit 1
fi

# The host's own binary must run and report the stamped version.
host="$(go env GOOS)_$(go env GOARCH)"
if [ -f "$work/hooks_${VERSION}_${host}/hooks" ]; then
  "$work/hooks_${VERSION}_${host}/hooks" version | grep -qF "hooks $VERSION (commit $COMMIT, built $DATE)" || {
    echo "the $host binary does not report version $VERSION" >&2
    exit 1
  }
fi
cat dist/SHA256SUMS
