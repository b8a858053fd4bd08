#!/bin/sh
# Builds test/interop/bin/serf-golden: writes hearsay's serf message fixtures
# (test/fixtures/serf/messages.json) through serf's OWN encodeMessage, linked
# against the Debian serf 0.9 source (golang-github-hashicorp-serf-dev).
#
# The GOPATH trick of build-golden.sh: copy the serf package into a private
# GOPATH (<repo>/.gopath, gitignored), drop serf-golden/export_hearsay.go.txt
# into it as zz_hearsay_export.go (thin exported wrappers), and build offline
# in GOPATH mode with the private GOPATH first. Nothing is downloaded.
#
#   test/interop/build-serf-golden.sh
#   test/interop/bin/serf-golden > test/fixtures/serf/messages.json
#
# Env overrides: GO, GOCODE (default /usr/share/gocode).
# Exit status 3 = a prerequisite (go, serf source) is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-$(command -v go || true)}
GOCODE=${GOCODE:-/usr/share/gocode}
SERF_SRC=$GOCODE/src/github.com/hashicorp/serf/serf

if [ -z "$GO" ] || [ ! -x "$GO" ]; then
  echo "build-serf-golden: missing prerequisite: go toolchain (apt-get install golang-go)" >&2
  exit 3
fi
if [ ! -f "$SERF_SRC/messages.go" ]; then
  echo "build-serf-golden: missing prerequisite: serf source at $SERF_SRC (apt-get install golang-github-hashicorp-serf-dev)" >&2
  exit 3
fi

gopath="$repo/.gopath"
dst="$gopath/src/github.com/hashicorp/serf/serf"
mkdir -p "$gopath"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$gopath/.build-serf.lock"
  flock -w 300 9
fi
rm -rf "$dst"
mkdir -p "$dst"
(cd "$SERF_SRC" && tar cf - --exclude='*_test.go' .) | (cd "$dst" && tar xf -)
cp "$here/serf-golden/export_hearsay.go.txt" "$dst/zz_hearsay_export.go"

mkdir -p "$here/bin"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="$gopath/cache"
fi
cd "$repo"
GOPATH="$gopath:$GOCODE" GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
  "$GO" build -o "$here/bin/serf-golden" ./test/interop/serf-golden
echo "build-serf-golden: built $here/bin/serf-golden ($("$GO" version))"
