#!/usr/bin/env bash
# Builds dist/liaison_VERSION_ARCH.deb and its CycloneDX SBOM with dpkg-deb
# (no network, no other packaging tool). Usage:
#   packaging/build-deb.sh [VERSION]        # default: from git describe
# The binary is stamped with VERSION and the commit, so `liaison version`
# names the release.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-$(git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' || echo 0.0.0)}"
case "$version" in [0-9]*) ;; *) version="0.0.0+$version" ;; esac
commit="$(git rev-parse HEAD 2>/dev/null || echo not-a-git-checkout)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit+modified"; fi
arch="$(go env GOARCH)"
case "$arch" in amd64|arm64) ;; *) echo "unsupported GOARCH $arch" >&2; exit 1 ;; esac

out=dist
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
mkdir -p "$out" "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/liaison" "$root/usr/share/doc/liaison"

pkg=github.com/liaison-wb/liaison/internal/buildinfo
CGO_ENABLED=0 go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit" \
  -o "$root/usr/bin/liaison" ./cmd/liaison

install -m 0644 packaging/liaison.service "$root/lib/systemd/system/liaison.service"
install -m 0640 packaging/liaison.conf "$root/etc/liaison/liaison.conf"
install -m 0644 docs/operations.md README.md "$root/usr/share/doc/liaison/"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
size_kb="$(du -sk "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: liaison
Version: $version
Architecture: $arch
Maintainer: Liaison maintainers <liaison@localhost>
Section: net
Priority: optional
Installed-Size: $size_kb
Depends: adduser
Homepage: https://github.com/liaison-wb/liaison
Description: Liaison node for regional police and judicial cooperation
 One node of a federation of national nodes exchanging signed envelopes,
 with an NCU gate, a witnessed Merkle audit log, encrypted backups and
 a doctor command. Runs as the liaison user under a hardened systemd unit.
CONTROL

deb="$out/liaison_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
SBOM_VERSION="$version" go run ./packaging/sbom "$root/usr/bin/liaison" > "$out/liaison_${version}_${arch}.cdx.json"
echo "$deb"
echo "$out/liaison_${version}_${arch}.cdx.json"
