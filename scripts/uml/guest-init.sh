#!/bin/bash
# PID 1 of the interop UML guest (docs/interop.md). The image's stub
# (/sbin/tunppp-init, see build-guest.sh) mounts this directory from the host
# over hostfs and execs this script, so it changes without an image rebuild.
#
# It mounts the pseudo filesystems, loads the PPP modules, configures eth0 from
# the kernel command line (tunppp_ip=ADDR/LEN tunppp_gw=ADDR), mounts the
# host's shared directory (tunppp_share=/host/path) at /share, then serves a
# line protocol on the console (test/interop/uml.ts is the other end), or,
# with tunppp_shell=1 (scripts/uml/run-guest.sh), an interactive root shell:
#
#   PUT <id> <base64 chunk>   append a chunk to the script of command <id>
#   RUN <id>                  run it with bash; its output, then "@@TUNPPP-END <id> <rc>@@"
#   HALT                      sync and power off (also on console EOF)
#
# The guest announces "@@TUNPPP-READY <uptime>@@" when it accepts commands.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C

halt() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 10
}

mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/lock /run/pptpd /run/xl2tpd /var/run /var/log /run/tunppp
[ -L /dev/ptmx ] || [ -c /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
hostname tunppp-guest
dmesg -n 1 2>/dev/null
# pptpd and xl2tpd log only through syslog; cases read /var/log/syslog.
busybox syslogd -O /var/log/syslog 2>/dev/null || echo "guest-init: no syslogd"

ip=
gw=
share=
shell=
mods="ppp_generic ppp_async ppp_synctty ppp_deflate bsd_comp ppp_mppe l2tp_ppp ipv6 esp4 xfrm_user af_key"
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    tunppp_ip=*) ip=${arg#tunppp_ip=} ;;
    tunppp_gw=*) gw=${arg#tunppp_gw=} ;;
    tunppp_share=*) share=${arg#tunppp_share=} ;;
    tunppp_shell=*) shell=${arg#tunppp_shell=} ;;
    tunppp_mods=*) mods=${arg#tunppp_mods=}; mods=${mods//,/ } ;;
  esac
done

for m in $mods; do modprobe "$m" || echo "guest-init: modprobe $m failed"; done

ip link set lo up
if [ -n "$ip" ]; then
  ip addr add "$ip" dev eth0
  ip link set eth0 up
  [ -n "$gw" ] && ip route add default via "$gw"
fi

if [ -n "$share" ]; then
  mkdir -p /share
  mount -t hostfs -o "$share" none /share || echo "guest-init: cannot mount hostfs $share"
fi

if [ "$shell" = 1 ]; then
  echo "tunppp guest: eth0 ${ip:-unconfigured}, modules loaded; logs in /var/log/syslog; exit the shell to power off"
  setsid -c bash -i
  halt
fi

# Console: no echo of what the host types, so the output holds only results.
stty -echo 2>/dev/null
read -r up _ </proc/uptime
echo "@@TUNPPP-READY $up@@"

while IFS= read -r line; do
  line=${line%$'\r'}
  case "$line" in
    PUT\ *)
      rest=${line#PUT }
      id=${rest%% *}
      printf '%s' "${rest#* }" >>"/run/tunppp/$id.b64"
      ;;
    RUN\ *)
      id=${line#RUN }
      if base64 -d "/run/tunppp/$id.b64" >"/run/tunppp/$id.sh" 2>/dev/null; then
        bash "/run/tunppp/$id.sh" </dev/null 2>&1
        rc=$?
      else
        echo "guest-init: command $id did not decode"
        rc=125
      fi
      rm -f "/run/tunppp/$id.b64" "/run/tunppp/$id.sh"
      echo "@@TUNPPP-END $id $rc@@"
      ;;
    HALT)
      halt
      ;;
    '') ;;
    *) echo "guest-init: unknown request: $line" ;;
  esac
done
halt
