#!/usr/bin/env bash
# Builds the Debian package and checks it without installing it on this
# machine: the stamped version, a node started from the packaged
# configuration, `liaison doctor` on it, the unit file and the SBOM.
# Proposed for CI (about a minute with a warm build cache); on a disposable
# machine, `dpkg -i` and `systemctl start liaison` are the next steps.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-0.0.0-check}"
mapfile -t out < <(packaging/build-deb.sh "$version")
deb="${out[0]}" sbom="${out[1]}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
bin="$root/usr/bin/liaison"

"$bin" version | grep -q "liaison $version (commit " || { echo "version not stamped: $("$bin" version)" >&2; exit 1; }
"$bin" version | grep -vq "not stamped" || { echo "commit not stamped" >&2; exit 1; }

conf="$root/liaison.conf"
sed -e "s|^data=.*|data=$root/var/lib/liaison|" -e "s|^node-id=.*|node-id=rs|" "$root/etc/liaison/liaison.conf" > "$conf"
"$bin" migrate --config "$conf" >/dev/null
"$bin" federation init --config "$conf" >/dev/null
"$bin" doctor --config "$conf" --min-free-mb 64 || { echo "doctor failed on a fresh node" >&2; exit 1; }

if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/bin/liaison|$bin|" "$root/lib/systemd/system/liaison.service" > "$root/liaison.service"
  systemd-analyze verify "$root/liaison.service"
fi
python3 - "$sbom" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["bomFormat"] == "CycloneDX" and b["specVersion"] == "1.5"
names = {c["name"] for c in b["components"]}
for m in ("filippo.io/age", "modernc.org/sqlite", "github.com/jackc/pgx/v5"):
    assert m in names, m
print(f"SBOM: {len(b['components'])} modules")
PY
echo "package OK: $deb"
