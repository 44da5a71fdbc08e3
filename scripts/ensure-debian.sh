#!/usr/bin/env bash
# Installs the named Debian packages when they are missing (each name may be
# "package:command", checked by the command, or "package:/path", checked by
# the file). Only as root with apt-get; otherwise it says what is missing and
# exits 0, and the tests that need the tool skip themselves with a message.
# TUNPPP_NO_APT=1 turns installing off.
set -u
missing=()
for spec in "$@"; do
  pkg=${spec%%:*}; cmd=${spec#*:}
  [ "$cmd" = "$spec" ] && cmd=$pkg
  case $cmd in
    # An absolute path is checked as a file (a plugin .so is no command).
    /*) [ -e "$cmd" ] || missing+=("$pkg") ;;
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${TUNPPP_NO_APT:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: missing Debian packages: ${missing[*]} (tests that need them will skip; install with apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "installing Debian packages for the tests: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# One update per machine per day is enough; a failed update is not fatal.
stamp=/var/lib/apt/periodic/tunppp-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
  apt-get update -qq >/dev/null 2>&1 && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# The tests run their own daemons in namespaces; a package installed for them
# must not start or enable its system service (softether-vpnserver would
# listen on TCP 443/992/1194/5555 and register a dynamic DNS name). Debian's
# policy-rc.d, which invoke-rc.d and deb-systemd-invoke obey, refuses the
# start during the install; the units are disabled after it.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap 'rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# tunppp scripts/ensure-debian.sh: no service starts while it installs test tools\nexit 101\n' >"$policy" && chmod 755 "$policy"
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  echo "note: apt-get install ${missing[*]} failed; tests that need them will skip" >&2
fi
if command -v systemctl >/dev/null 2>&1; then
  for unit in $(dpkg -L "${missing[@]}" 2>/dev/null | grep -E '^/(usr/)?lib/systemd/system/[^/@]+\.(service|socket)$' | sort -u); do
    systemctl disable --quiet "${unit##*/}" >/dev/null 2>&1 || true
  done
fi
exit 0
