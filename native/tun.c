/*
 * TUN device: open a queue of /dev/net/tun (IFF_TUN | IFF_NO_PI, optionally
 * IFF_VNET_HDR with TUNSETOFFLOAD and IFF_MULTI_QUEUE), batched read and
 * write, and the interface ioctls (MTU, IPv4 address, peer or netmask, up).
 *
 * With IFF_VNET_HDR every packet read or written starts with a 10-byte
 * struct virtio_net_hdr; with TSO offloads the kernel hands over packets of up
 * to 64 KiB. Interpreting that header is the TypeScript side's job.
 */
#define _GNU_SOURCE
#include "common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t tun_read_batch(tp_handle *h) {
  napi_env env = h->env;
  uint8_t *rx;
  uint32_t *meta;
  if (tp_handle_rx(h, env, &rx, &meta) != 0) {
    tp_handle_stop_reading(h);
    tp_handle_emit_error(h, tp_make_errno_error(env, EFAULT, "read (rx buffer detached; reading stopped)"));
    return 0;
  }
  uint32_t n = 0;
  while (n < h->slots) {
    uint8_t *slot = rx + (size_t)n * h->slot_bytes;
    ssize_t r = read(h->fd, slot, h->slot_bytes);
    if (r < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e != EAGAIN && e != EWOULDBLOCK) {
        if (n > 0) break; /* deliver what we have; the error repeats on the next event */
        tp_handle_emit_error(h, tp_make_errno_error(env, e, "read(tun)"));
        /* A device that went away (EBADFD after unregister) would spin the loop. */
        if (e == EBADFD || e == EIO) tp_handle_stop_reading(h);
        return 0;
      }
      break;
    }
    uint32_t *m = meta + (size_t)n * TP_META;
    m[0] = n * h->slot_bytes;
    m[1] = (uint32_t)r;
    m[2] = 0;
    /* read() on a TUN fd truncates silently; a full slot may be a truncated packet. */
    m[3] = (uint32_t)r >= h->slot_bytes ? TP_FLAG_TRUNCATED : 0;
    m[4] = 0;
    n++;
  }
  if (n > 0) tp_handle_emit_read(h, n);
  return n;
}

void tp_tun_on_poll(tp_handle *h, int status, int events) {
  (void)events;
  if (status < 0) {
    /* POLLERR on a TUN fd: the device is gone. libuv has stopped the handle. */
    h->rx_dead = 1;
    tp_handle_emit_error(h, tp_make_errno_error(h->env, -status, "poll(tun)"));
    return;
  }
  tp_handle_read_loop(h, tun_read_batch);
}

/*
 * tunOpen({ netns?, name?, devicePath?, multiQueue?, vnetHdr?, offloads?, slots, slotBytes },
 *         rx, meta, onRead, onError) → handle with `name` (the kernel's name).
 */
napi_value tp_tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    tp_throw_usage(env, "tunOpen(opts, rx, meta, onRead, onError)");
    return NULL;
  }
  char netns[512], name[IFNAMSIZ], dev[256];
  int has_ns, has_name, has_dev, mq, vnet, has_off, has_slots, has_sb;
  uint32_t offloads = 0, slots = 0, slot_bytes = 0;
  if (tp_prop_str(env, argv[0], "netns", netns, sizeof netns, &has_ns) != 0 ||
      tp_prop_str(env, argv[0], "name", name, sizeof name, &has_name) != 0 ||
      tp_prop_str(env, argv[0], "devicePath", dev, sizeof dev, &has_dev) != 0 ||
      tp_prop_bool(env, argv[0], "multiQueue", &mq) != 0 || tp_prop_bool(env, argv[0], "vnetHdr", &vnet) != 0 ||
      tp_prop_u32(env, argv[0], "offloads", &offloads, &has_off) != 0 ||
      tp_prop_u32(env, argv[0], "slots", &slots, &has_slots) != 0 ||
      tp_prop_u32(env, argv[0], "slotBytes", &slot_bytes, &has_sb) != 0 || !has_slots || !has_sb ||
      slots == 0 || slots > TP_MAX_SLOTS || slot_bytes == 0 || slot_bytes > (1u << 20) ||
      (has_off && offloads != 0 && !vnet)) {
    tp_throw_usage(env, "tunOpen: bad options (name < 16 bytes; offloads need vnetHdr; slots and slotBytes required)");
    return NULL;
  }
  tp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  h->kind = TP_TUN;
  h->fd = -1;
  h->aux_fd = -1;
  h->slots = slots;
  h->slot_bytes = slot_bytes;

  const char *path = has_dev ? dev : "/dev/net/tun";
  tp_netns ns;
  if (tp_netns_enter(env, has_ns ? netns : NULL, &ns) != 0) {
    tp_handle_destroy_unstarted(env, h);
    return NULL;
  }
  int e = 0;
  const char *what = NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  h->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (h->fd < 0) {
    e = errno;
    what = "open";
    goto out;
  }
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);
  if (has_name) memcpy(ifr.ifr_name, name, strlen(name)); /* < IFNAMSIZ, checked above */
  if (ioctl(h->fd, TUNSETIFF, &ifr) != 0) {
    e = errno;
    what = "ioctl(TUNSETIFF)";
    goto out;
  }
  if (vnet && has_off && ioctl(h->fd, TUNSETOFFLOAD, (unsigned long)offloads) != 0) {
    e = errno;
    what = "ioctl(TUNSETOFFLOAD)";
    goto out;
  }
out:
  tp_netns_leave(&ns);
  if (what != NULL) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, e, what, what[0] == 'o' ? path : (has_name ? name : NULL));
    return NULL;
  }
  ifr.ifr_name[IFNAMSIZ - 1] = 0;
  napi_value obj = tp_handle_create(env, h, argv[1], argv[2], argv[3], argv[4], "tunppp.Tun");
  if (obj != NULL) tp_set_str(env, obj, "name", ifr.ifr_name);
  return obj;
}

/*
 * tunWrite(handle, data, meta, count) → packets written. meta as for greSend
 * (the address field is ignored); status 0 or the errno of that packet.
 */
napi_value tp_tun_write(napi_env env, napi_callback_info info) {
  uint8_t *data;
  uint32_t *meta;
  size_t dlen;
  uint32_t count;
  tp_handle *h = tp_handle_batch_args(env, info, TP_TUN,
                                      "tunWrite(handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / 4)",
                                      &data, &dlen, &meta, &count);
  if (h == NULL) return NULL;
  uint32_t written = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t *m = meta + (size_t)i * TP_META;
    if ((uint64_t)m[0] + m[1] > dlen || m[1] == 0) {
      m[3] = EINVAL;
      continue;
    }
    ssize_t r;
    do r = write(h->fd, data + m[0], m[1]);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      int e = errno;
      m[3] = (uint32_t)e;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        for (uint32_t j = i + 1; j < count; j++) meta[(size_t)j * TP_META + 3] = EAGAIN;
        break;
      }
      continue;
    }
    m[3] = 0;
    written++;
  }
  napi_value out;
  napi_create_uint32(env, written, &out);
  return out;
}

static int if_ioctl(int s, unsigned long req, struct ifreq *ifr) {
  return ioctl(s, req, ifr);
}

static void set_sin(struct sockaddr *sa, uint32_t addr) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(addr);
  memcpy(sa, &sin, sizeof sin);
}

/*
 * ifConfigure({ netns?, name, mtu?, address?, prefixLen?, peer?, up? }):
 * SIOCSIFMTU, SIOCSIFADDR, then SIOCSIFDSTADDR (peer) or SIOCSIFNETMASK
 * (prefixLen), then IFF_UP via SIOCGIFFLAGS/SIOCSIFFLAGS. Throws with errno.
 */
napi_value tp_if_configure(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char netns[512], name[IFNAMSIZ];
  int has_ns, has_name, has_mtu, has_addr, has_prefix, has_peer, up;
  uint32_t mtu = 0, addr = 0, prefix = 0, peer = 0;
  if (argc < 1 || tp_prop_str(env, argv[0], "netns", netns, sizeof netns, &has_ns) != 0 ||
      tp_prop_str(env, argv[0], "name", name, sizeof name, &has_name) != 0 || !has_name ||
      tp_prop_u32(env, argv[0], "mtu", &mtu, &has_mtu) != 0 ||
      tp_prop_u32(env, argv[0], "address", &addr, &has_addr) != 0 ||
      tp_prop_u32(env, argv[0], "prefixLen", &prefix, &has_prefix) != 0 ||
      tp_prop_u32(env, argv[0], "peer", &peer, &has_peer) != 0 || tp_prop_bool(env, argv[0], "up", &up) != 0 ||
      (has_prefix && prefix > 32) || (has_mtu && (mtu < 68 || mtu > 65535)) ||
      ((has_prefix || has_peer) && !has_addr)) {
    tp_throw_usage(env, "ifConfigure: bad options (name required; mtu 68..65535; prefixLen ≤ 32; peer/prefixLen need address)");
    return NULL;
  }
  tp_netns ns;
  if (tp_netns_enter(env, has_ns ? netns : NULL, &ns) != 0) return NULL;
  int e = 0;
  const char *what = NULL;
  struct ifreq ifr;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    e = errno;
    what = "socket";
    goto out;
  }
#define IFR_RESET() do { memset(&ifr, 0, sizeof ifr); memcpy(ifr.ifr_name, name, strlen(name)); } while (0)
  if (has_mtu) {
    IFR_RESET();
    ifr.ifr_mtu = (int)mtu;
    if (if_ioctl(s, SIOCSIFMTU, &ifr) != 0) { e = errno; what = "ioctl(SIOCSIFMTU)"; goto out; }
  }
  if (has_addr) {
    IFR_RESET();
    set_sin(&ifr.ifr_addr, addr);
    if (if_ioctl(s, SIOCSIFADDR, &ifr) != 0) { e = errno; what = "ioctl(SIOCSIFADDR)"; goto out; }
  }
  if (has_peer) {
    IFR_RESET();
    set_sin(&ifr.ifr_dstaddr, peer);
    if (if_ioctl(s, SIOCSIFDSTADDR, &ifr) != 0) { e = errno; what = "ioctl(SIOCSIFDSTADDR)"; goto out; }
  }
  if (has_prefix) {
    IFR_RESET();
    set_sin(&ifr.ifr_netmask, prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix)));
    if (if_ioctl(s, SIOCSIFNETMASK, &ifr) != 0) { e = errno; what = "ioctl(SIOCSIFNETMASK)"; goto out; }
  }
  if (up) {
    IFR_RESET();
    if (if_ioctl(s, SIOCGIFFLAGS, &ifr) != 0) { e = errno; what = "ioctl(SIOCGIFFLAGS)"; goto out; }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (if_ioctl(s, SIOCSIFFLAGS, &ifr) != 0) { e = errno; what = "ioctl(SIOCSIFFLAGS)"; goto out; }
  }
#undef IFR_RESET
out:
  if (s >= 0) close(s);
  tp_netns_leave(&ns);
  if (what != NULL) {
    tp_throw_errno(env, e, what, name);
    return NULL;
  }
  return NULL;
}
