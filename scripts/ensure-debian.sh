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
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  echo "note: apt-get install ${missing[*]} failed; tests that need them will skip" >&2
fi
exit 0
