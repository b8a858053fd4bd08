#!/bin/sh
# Builds test/interop/bin/golden: the Go side of hearsay's wire-compatibility
# tests, linked against the REAL memberlist v0.2.2 source (Debian package
# golang-github-hashicorp-memberlist-dev) plus one file of exported wrappers.
#
# How: copy the memberlist package into a private GOPATH (<repo>/.gopath,
# gitignored), drop test/interop/golden/export_hearsay.go.txt into it as
# zz_hearsay_export.go, and build in GOPATH mode with the private GOPATH first
# so it shadows the system copy. Nothing is downloaded (GOPROXY=off).
#
# Env overrides: GO (go binary), GOCODE (system GOPATH, default
# /usr/share/gocode), MEMBERLIST_SRC (default $GOCODE/src/github.com/hashicorp/memberlist).
# Exit status 3 = a prerequisite (go, memberlist source) is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-$(command -v go || true)}
GOCODE=${GOCODE:-/usr/share/gocode}
MEMBERLIST_SRC=${MEMBERLIST_SRC:-$GOCODE/src/github.com/hashicorp/memberlist}

if [ -z "$GO" ] || [ ! -x "$GO" ]; then
  echo "build-golden: missing prerequisite: go toolchain (apt-get install golang-go)" >&2
  exit 3
fi
if [ ! -f "$MEMBERLIST_SRC/net.go" ] || [ ! -f "$GOCODE/src/github.com/hashicorp/go-msgpack/codec/msgpack.go" ]; then
  echo "build-golden: missing prerequisite: memberlist source at $MEMBERLIST_SRC (apt-get install golang-github-hashicorp-memberlist-dev)" >&2
  exit 3
fi

gopath="$repo/.gopath"
dst="$gopath/src/github.com/hashicorp/memberlist"
mkdir -p "$gopath"
# Serialize concurrent builds (two test runs at once) when flock(1) is available.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$gopath/.build.lock"
  flock -w 300 9
fi
rm -rf "$dst"
mkdir -p "$dst"
# Copy the package (tests excluded: they are not needed and pull in more deps).
(cd "$MEMBERLIST_SRC" && tar cf - --exclude='*_test.go' .) | (cd "$dst" && tar xf -)
cp "$here/golden/export_hearsay.go.txt" "$dst/zz_hearsay_export.go"

mkdir -p "$here/bin"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="$gopath/cache"
fi
cd "$repo"
GOPATH="$gopath:$GOCODE" GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
  "$GO" build -o "$here/bin/golden" ./test/interop/golden
echo "build-golden: built $here/bin/golden ($("$GO" version))"
