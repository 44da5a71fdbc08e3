#!/usr/bin/env bash
# Boots the interop UML guest with an interactive root shell on this terminal,
# for poking at pppd, pptpd, pptp-linux and xl2tpd by hand (docs/interop.md).
# The guest sits on a TAP in a fresh network namespace: host side 10.212.0.1,
# guest 10.212.0.2. `ip netns exec <ns> …` (the name is printed) reaches it.
# A copy-on-write file keeps the cached image pristine; everything is removed
# when the shell exits.
#
#   scripts/uml/run-guest.sh [--mem MB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mem=256
[ "${1:-}" = --mem ] && mem=${2:?--mem needs a size in MB}

[ "$(id -u)" = 0 ] || { echo "run-guest: needs root (namespace, TAP)" >&2; exit 1; }
bash "$here/build-guest.sh"
eval "$(bash "$here/build-guest.sh" --print | sed 's/^/guest_/')"

ns="tpuml-sh-$$"
tap="tpush$((($$ % 100000)))"
scratch=$(mktemp -d /tmp/tunppp-uml-sh.XXXXXX)
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev "$tap" mode tap
ip -n "$ns" addr add 10.212.0.1/24 dev "$tap"
ip -n "$ns" link set "$tap" up
echo "run-guest: namespace $ns, TAP $tap (10.212.0.1) ↔ guest eth0 10.212.0.2"

# UML backs guest memory with an unlinked file in TMPDIR: tmpfs keeps it off the disk.
memdir=$scratch
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] && memdir=/dev/shm
TMPDIR=$memdir ip netns exec "$ns" "$guest_kernel" \
  "ubd0=$scratch/guest.cow,$guest_image" root=/dev/ubda rw "mem=${mem}M" \
  umid="tunppp-sh-$$" "uml_dir=$scratch" "eth0=tuntap,$tap" \
  con=null con0=fd:0,fd:1 ssl=null quiet init=/sbin/tunppp-init \
  "tunppp_dir=$here" tunppp_ip=10.212.0.2/24 tunppp_gw=10.212.0.1 tunppp_shell=1
