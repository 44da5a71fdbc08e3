#!/usr/bin/env bash
# Builds the User-Mode Linux guest the interop suite boots (docs/interop.md):
# a minimal Debian rootfs with the real third-party PPP peers (pppd, pptp-linux,
# pptpd, xl2tpd) as an ext4 image, plus the UML kernel's modules. The image
# lives outside the repo in a cache directory and is rebuilt only when its
# stamp (suite, package list, UML kernel version, init stub) changes.
#
#   scripts/uml/build-guest.sh           build when missing or stale, else exit 0 at once
#   scripts/uml/build-guest.sh --check   exit 0 when the cached image is current, 1 when not
#   scripts/uml/build-guest.sh --print   print the image's path and kernel (for the harness)
#
# Environment:
#   TUNPPP_UML_CACHE   cache directory (default /var/cache/tunppp-uml)
#   TUNPPP_UML_MIRROR  Debian mirror (default: the first deb.debian.org-style URI apt uses, else deb.debian.org)
#   TUNPPP_UML_SIZE    image size (default 1G, sparse)
set -euo pipefail

CACHE=${TUNPPP_UML_CACHE:-/var/cache/tunppp-uml}
SUITE=bookworm
SIZE=${TUNPPP_UML_SIZE:-1G}
# Bump when the way the rootfs is assembled changes (forces a rebuild).
LAYOUT=1
# The real peers, and the few tools the cases use around them.
# busybox gives the guest a syslogd (pptpd and xl2tpd log only to syslog).
# strongswan-charon + strongswan-starter: charon with ipsec.conf, the L2TP/IPsec client of Linux guides;
# libstrongswan-standard-plugins: its openssl plugin (ECP groups, which Windows offers first).
PACKAGES=(ppp pptp-linux pptpd xl2tpd iproute2 iputils-ping tcpdump iperf3 kmod procps netcat-openbsd busybox strongswan-charon strongswan-starter libstrongswan-standard-plugins)
KERNEL=/usr/bin/linux.uml
MODULES_ROOT=/usr/lib/uml/modules

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# The PID 1 stub baked into the image: it mounts the host's scripts/uml
# directory (hostfs, path from the kernel command line) and runs guest-init.sh
# from there, so the boot logic changes without an image rebuild.
STUB='#!/bin/sh
# tunppp UML guest, PID 1 stub (written by scripts/uml/build-guest.sh).
mount -t proc proc /proc
dir=
for arg in $(cat /proc/cmdline); do
  case "$arg" in tunppp_dir=*) dir=${arg#tunppp_dir=} ;; esac
done
mkdir -p /tunppp
if [ -n "$dir" ] && mount -t hostfs -r -o "$dir" none /tunppp && [ -f /tunppp/guest-init.sh ]; then
  exec /bin/bash /tunppp/guest-init.sh
fi
echo "tunppp-init: cannot run guest-init.sh from hostfs dir [$dir]"
echo o > /proc/sysrq-trigger
sleep 5'

uml_version() {
  [ -d "$MODULES_ROOT" ] || return 1
  # The newest modules directory that belongs to the installed kernel package.
  ls -1 "$MODULES_ROOT" | sort -V | tail -n 1
}

stamp_text() {
  printf 'suite=%s\nlayout=%s\npackages=%s\numl=%s\nstub=%s\n' \
    "$SUITE" "$LAYOUT" "${PACKAGES[*]}" "$(uml_version || echo none)" "$(printf '%s' "$STUB" | sha256sum | cut -d' ' -f1)"
}

current() {
  [ -x "$KERNEL" ] && [ -f "$CACHE/rootfs.ext4" ] && [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$(stamp_text)" ]
}

case "${1:-}" in
  --check) current && exit 0 || exit 1 ;;
  --print)
    current || die "no current image in $CACHE (run scripts/uml/build-guest.sh)"
    printf 'image=%s\nkernel=%s\numl=%s\n' "$CACHE/rootfs.ext4" "$KERNEL" "$(uml_version)"
    exit 0 ;;
  '') ;;
  *) die "unknown argument: $1 (use --check or --print)" ;;
esac

if current; then
  log "image is current: $CACHE/rootfs.ext4"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (apt-get, debootstrap, chroot)"

# Host tools, installed only when missing.
missing=()
[ -x "$KERNEL" ] || missing+=(user-mode-linux)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed (no network?)"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
  }
fi
UML_VERSION=$(uml_version) || die "no UML modules under $MODULES_ROOT"

mirror=${TUNPPP_UML_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -oE 'https?://[^ ]+' | head -n 1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if current; then
  log "image was built by another run: $CACHE/rootfs.ext4"
  exit 0
fi

started=$(date +%s)
work="$CACHE/build.$$"
# Every mount of the build lives in a private mount namespace (unshare below),
# so a killed build leaves plain directories only.
rm -rf "$CACHE"/build.*
mkdir -p "$work" "$CACHE/debs"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
root="$work/root"

log "debootstrap $SUITE from $mirror (minbase)"
unshare --mount --propagation private debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  die "debootstrap failed (log above)"
}

# Daemons must not start while we install them: the chroot shares the host's network.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

log "installing ${PACKAGES[*]}"
# Own mount and PID namespaces: /proc is unmounted and any stray process dies with the chroot.
mkdir -p "$CACHE/debs/apt"
unshare --mount --pid --fork --kill-child bash -euo pipefail -c '
  root=$1; debs=$2; shift 2
  mount -t proc proc "$root/proc"
  mount --bind "$debs" "$root/var/cache/apt/archives"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $*"
' _ "$root" "$CACHE/debs/apt" "${PACKAGES[@]}" >"$work/apt.log" 2>&1 || {
  tail -n 30 "$work/apt.log" >&2
  die "package install in the chroot failed (log above)"
}

log "configuring the rootfs (UML modules $UML_VERSION)"
rm -f "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/lib/modules"
cp -a "$MODULES_ROOT/$UML_VERSION" "$root/lib/modules/$UML_VERSION"
chroot "$root" depmod -a "$UML_VERSION"
printf '%s\n' "$STUB" >"$root/sbin/tunppp-init"
chmod 755 "$root/sbin/tunppp-init"
echo tunppp-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tunppp-guest\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
# Daemon configs are written per case at run time; nothing starts at boot.
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/usr/share/doc/"* "$root/usr/share/man/"* "$root/usr/share/locale/"*

log "writing the ext4 image ($SIZE, sparse)"
rm -f "$work/rootfs.ext4"
mkfs.ext4 -q -F -L tunppp -d "$root" "$work/rootfs.ext4" "$SIZE"
mv -f "$work/rootfs.ext4" "$CACHE/rootfs.ext4"
stamp_text >"$CACHE/stamp"
log "done in $(( $(date +%s) - started )) s: $CACHE/rootfs.ext4 ($(du -h "$CACHE/rootfs.ext4" | cut -f1) used)"
