#!/usr/bin/env bash
# CI: build the Debian package, install it on this (disposable) machine with
# dpkg -i, run the installed `liaison version` and `liaison doctor` against a
# temporary configuration, then purge it. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-0.0.0-ci}"
mapfile -t out < <(packaging/build-deb.sh "$version")
deb="${out[0]}"
echo "installing $deb"
dpkg -i "$deb" >/dev/null
trap 'dpkg --purge liaison >/dev/null 2>&1 || true' EXIT

test -x /usr/bin/liaison
/usr/bin/liaison version | grep -q "liaison $version (commit " || { echo "installed binary not stamped: $(/usr/bin/liaison version)" >&2; exit 1; }
getent passwd liaison >/dev/null || { echo "the liaison user was not created" >&2; exit 1; }
[ "$(stat -c '%U %a' /var/lib/liaison)" = "liaison 700" ] || { echo "data directory: $(stat -c '%U %a' /var/lib/liaison)" >&2; exit 1; }
[ "$(stat -c '%G %a' /etc/liaison/liaison.conf)" = "liaison 640" ] || { echo "config file: $(stat -c '%G %a' /etc/liaison/liaison.conf)" >&2; exit 1; }

# A temporary node from the packaged configuration, run as the service user.
tmp="$(mktemp -d)"
chown liaison:liaison "$tmp"
conf="$tmp/liaison.conf"
sed -e "s|^data=.*|data=$tmp/data|" -e "s|^node-id=.*|node-id=rs|" /etc/liaison/liaison.conf > "$conf"
chown liaison:liaison "$conf"
as_liaison() { setpriv --reuid=liaison --regid=liaison --init-groups "$@"; }
as_liaison /usr/bin/liaison migrate --config "$conf" >/dev/null
as_liaison /usr/bin/liaison federation init --config "$conf" >/dev/null
as_liaison /usr/bin/liaison doctor --config "$conf" --min-free-mb 64
rm -rf "$tmp"
echo "installed package OK"
