#!/usr/bin/env bash
# release.sh builds Hearth's release binaries: stripped, reproducible (the
# same source and Go give the same bytes: -trimpath, no build id, no VCS
# stamp) and without cgo, for the platforms a household runs, with SHA-256
# checksums beside them.
#
#   scripts/release.sh [VERSION]      # into dist/VERSION/
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always 2>/dev/null || echo dev)}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
out=dist/$version
mkdir -p "$out"
for target in linux/amd64 linux/arm64 linux/arm/7 darwin/arm64 windows/amd64; do
  IFS=/ read -r goos goarch goarm <<<"$target"
  name=hearth-$version-$goos-$goarch${goarm:+v$goarm}
  [ "$goos" = windows ] && name=$name.exe
  GOOS=$goos GOARCH=$goarch GOARM=$goarm CGO_ENABLED=0 \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X main.version=$version -X main.commit=$commit" \
      -o "$out/$name" .
done
(cd "$out" && sha256sum hearth-* >SHA256SUMS)
ls -l "$out"
