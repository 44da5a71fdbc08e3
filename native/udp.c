/*
 * IPv4 UDP socket for L2TP (RFC 2661 §8.1): batched receive and send, ICMP
 * errors from the error queue, path-MTU queries. No L2TP parsing happens here.
 *
 * The socket is bound to one address and port and not connected: one socket
 * serves every tunnel, and the source address and port of each datagram come
 * from recvmmsg's msg_name, its local address from IP_PKTINFO (so a socket
 * bound to 0.0.0.0 answers each peer from the address the peer used).
 *
 * Ports travel in the upper 16 bits of the flags/status word of the packet
 * metadata (common.h TP_META): on receive the source port, on send the
 * destination port (read before the status overwrites the word). GRE leaves
 * those bits 0.
 *
 * Path MTU and ICMP errors work as on the GRE socket (gre.c): IP_PMTUDISC_DO
 * (or PROBE) sets DF, IP_RECVERR queues ICMP errors, including
 * fragmentation-needed toward a peer, for this unconnected socket, and
 * SO_SELECT_ERR_QUEUE reports them as POLLPRI. A recvmmsg that fails because
 * an ICMP error set the socket error drains the queue and reads again.
 */
#define _GNU_SOURCE
#include "common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_SELECT_ERR_QUEUE
#define SO_SELECT_ERR_QUEUE 45
#endif

/* Largest UDP payload over IPv4. */
#define TP_UDP_MAX_SEND 65507u

/* Reads the error queue and hands each entry to onError (with dstPort). */
static void udp_drain_errqueue(tp_handle *h) {
  napi_env env = h->env;
  for (int budget = 0; budget < TP_ERR_BUDGET && !h->closing; budget++) {
    uint8_t quote[TP_ERR_QUOTE];
    union {
      char buf[512];
      struct cmsghdr align;
    } ctl;
    struct sockaddr_in dst;
    struct iovec iov = {quote, sizeof quote};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    memset(&dst, 0, sizeof dst);
    m.msg_name = &dst;
    m.msg_namelen = sizeof dst;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    ssize_t n = recvmsg(h->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      tp_handle_emit_error(h, tp_make_errno_error(env, e, "recvmsg(MSG_ERRQUEUE)"));
      return;
    }
    const struct sock_extended_err *ee = NULL;
    size_t ee_room = 0;
    for (const struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, (struct cmsghdr *)c)) {
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR &&
          c->cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
        ee = (const struct sock_extended_err *)CMSG_DATA(c);
        ee_room = c->cmsg_len - CMSG_LEN(0);
        break;
      }
    }
    if (ee == NULL) continue;

    napi_value ev, q;
    napi_create_object(env, &ev);
    tp_set_str(env, ev, "errno", ee->ee_errno ? uv_err_name(-(int)ee->ee_errno) : "");
    tp_set_u32(env, ev, "errnoNumber", ee->ee_errno);
    tp_set_u32(env, ev, "origin", ee->ee_origin);
    tp_set_u32(env, ev, "type", ee->ee_type);
    tp_set_u32(env, ev, "code", ee->ee_code);
    tp_set_u32(env, ev, "info", ee->ee_info);
    if (m.msg_namelen >= sizeof dst && dst.sin_family == AF_INET) {
      tp_set_u32(env, ev, "dst", ntohl(dst.sin_addr.s_addr));
      tp_set_u32(env, ev, "dstPort", ntohs(dst.sin_port));
    }
    if (ee_room >= sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in)) {
      const struct sockaddr_in *off = (const struct sockaddr_in *)SO_EE_OFFENDER(ee);
      if (off->sin_family == AF_INET) tp_set_u32(env, ev, "offender", ntohl(off->sin_addr.s_addr));
    }
    size_t qn = (size_t)n < sizeof quote ? (size_t)n : sizeof quote;
    void *qp;
    napi_create_buffer_copy(env, qn, quote, &qp, &q);
    napi_set_named_property(env, ev, "quoted", q);
    tp_handle_emit_error(h, ev);
  }
}

/* A recv failure that only reports a consumed socket error (see gre.c). */
static int udp_is_socket_error_report(int e) {
  switch (e) {
    case EBADF: case EFAULT: case EINVAL: case ENOMEM: case ENOTSOCK:
      return 0;
    default:
      return 1;
  }
}

/* One recvmmsg batch into the rx buffer, then onRead. Returns datagrams read. */
static int udp_read_batch(tp_handle *h) {
  napi_env env = h->env;
  uint8_t *rx;
  uint32_t *meta;
  if (tp_handle_rx(h, env, &rx, &meta) != 0) {
    uv_poll_stop(&h->poll);
    h->polling = 0;
    h->rx_dead = 1;
    tp_handle_emit_error(h, tp_make_errno_error(env, EFAULT, "recvmmsg (rx buffer detached; reading stopped)"));
    return 0;
  }
  for (uint32_t i = 0; i < h->slots; i++) {
    h->iov[i].iov_base = rx + (size_t)i * h->slot_bytes;
    h->iov[i].iov_len = h->slot_bytes;
    memset(&h->msgs[i], 0, sizeof h->msgs[i]);
    h->msgs[i].msg_hdr.msg_name = &h->addrs[i];
    h->msgs[i].msg_hdr.msg_namelen = sizeof h->addrs[i];
    h->msgs[i].msg_hdr.msg_iov = &h->iov[i];
    h->msgs[i].msg_hdr.msg_iovlen = 1;
    h->msgs[i].msg_hdr.msg_control = h->ctl + (size_t)i * TP_PKTINFO_SPACE;
    h->msgs[i].msg_hdr.msg_controllen = TP_PKTINFO_SPACE;
  }
  int n = -1;
  for (int attempt = 0; attempt < 4; attempt++) {
    n = recvmmsg(h->fd, h->msgs, h->slots, MSG_DONTWAIT, NULL);
    if (n >= 0) break;
    int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return 0;
    if (!udp_is_socket_error_report(e)) {
      tp_handle_emit_error(h, tp_make_errno_error(env, e, "recvmmsg"));
      return 0;
    }
    udp_drain_errqueue(h);
    if (h->closing) return 0;
  }
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    const struct msghdr *mh = &h->msgs[i].msg_hdr;
    uint32_t *m = meta + (size_t)i * TP_META;
    int v4 = mh->msg_namelen >= sizeof(struct sockaddr_in) && h->addrs[i].sin_family == AF_INET;
    m[0] = (uint32_t)i * h->slot_bytes;
    m[1] = h->msgs[i].msg_len <= h->slot_bytes ? h->msgs[i].msg_len : h->slot_bytes;
    m[2] = v4 ? ntohl(h->addrs[i].sin_addr.s_addr) : 0;
    m[3] = ((mh->msg_flags & MSG_TRUNC) ? TP_FLAG_TRUNCATED : 0) | (v4 ? (uint32_t)ntohs(h->addrs[i].sin_port) << TP_PORT_SHIFT : 0);
    m[4] = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        m[4] = ntohl(pi.ipi_addr.s_addr);
        break;
      }
    }
  }
  tp_handle_emit_read(h, (uint32_t)n);
  return n;
}

void tp_udp_on_poll(tp_handle *h, int status, int events) {
  if (status < 0 || (events & UV_PRIORITIZED)) udp_drain_errqueue(h);
  uint32_t total = 0;
  while (!h->closing && !h->rx_dead && (status < 0 || (events & UV_READABLE)) && total < TP_EVENT_BUDGET) {
    int n = udp_read_batch(h);
    total += (uint32_t)n;
    if ((uint32_t)n < h->slots) break;
  }
}

static int set_int(int fd, int level, int opt, int v) {
  return setsockopt(fd, level, opt, &v, sizeof v);
}

/*
 * udpOpen({ netns?, bind?, port?, reuseAddr?, pmtuProbe?, rcvbufBytes?, sndbufBytes?, slots, slotBytes },
 *         rx, meta, onRead(count), onError(event)) → handle (with .port, the bound port)
 */
napi_value tp_udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    tp_throw_usage(env, "udpOpen(opts, rx, meta, onRead, onError)");
    return NULL;
  }
  char netns[512];
  int has_ns, has_bind, has_port, has_rcv, has_snd, has_slots, has_sb, probe, reuse;
  uint32_t bind_addr = 0, port = 0, rcv = 0, snd = 0, slots = 0, slot_bytes = 0;
  if (tp_prop_str(env, argv[0], "netns", netns, sizeof netns, &has_ns) != 0 ||
      tp_prop_u32(env, argv[0], "bind", &bind_addr, &has_bind) != 0 ||
      tp_prop_u32(env, argv[0], "port", &port, &has_port) != 0 ||
      tp_prop_bool(env, argv[0], "reuseAddr", &reuse) != 0 ||
      tp_prop_bool(env, argv[0], "pmtuProbe", &probe) != 0 ||
      tp_prop_u32(env, argv[0], "rcvbufBytes", &rcv, &has_rcv) != 0 ||
      tp_prop_u32(env, argv[0], "sndbufBytes", &snd, &has_snd) != 0 ||
      tp_prop_u32(env, argv[0], "slots", &slots, &has_slots) != 0 ||
      tp_prop_u32(env, argv[0], "slotBytes", &slot_bytes, &has_sb) != 0 || !has_slots || !has_sb ||
      slots == 0 || slots > TP_MAX_SLOTS || slot_bytes == 0 || slot_bytes > (1u << 20) || port > 65535) {
    tp_throw_usage(env, "udpOpen: bad options (slots 1..1024, slotBytes 1..1 MiB, port 0..65535)");
    return NULL;
  }

  tp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  h->kind = TP_UDP;
  h->fd = -1;
  h->aux_fd = -1;
  h->slots = slots;
  h->slot_bytes = slot_bytes;
  h->msgs = calloc(slots, sizeof *h->msgs);
  h->iov = calloc(slots, sizeof *h->iov);
  h->addrs = calloc(slots, sizeof *h->addrs);
  h->ctl = calloc(slots, TP_PKTINFO_SPACE);
  if (!h->msgs || !h->iov || !h->addrs || !h->ctl) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }

  tp_netns ns;
  if (tp_netns_enter(env, has_ns ? netns : NULL, &ns) != 0) {
    tp_handle_destroy_unstarted(env, h);
    return NULL;
  }
  int e = 0;
  const char *what = NULL;
  struct sockaddr_in local;
  socklen_t local_len = sizeof local;
  h->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->fd < 0) {
    e = errno;
    what = "socket";
    goto out;
  }
  if (set_int(h->fd, SOL_IP, IP_RECVERR, 1) != 0) {
    e = errno;
    what = "setsockopt(IP_RECVERR)";
    goto out;
  }
#ifndef TP_TEST_NO_SELECT_ERR_QUEUE
  (void)set_int(h->fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, 1);
#endif
  if (set_int(h->fd, SOL_IP, IP_PKTINFO, 1) != 0) {
    e = errno;
    what = "setsockopt(IP_PKTINFO)";
    goto out;
  }
  if (set_int(h->fd, SOL_IP, IP_MTU_DISCOVER, probe ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DO) != 0) {
    e = errno;
    what = "setsockopt(IP_MTU_DISCOVER)";
    goto out;
  }
  if (reuse && set_int(h->fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
    e = errno;
    what = "setsockopt(SO_REUSEADDR)";
    goto out;
  }
  if (has_rcv && set_int(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)(rcv > 0x3fffffff ? 0x3fffffff : rcv)) != 0 &&
      set_int(h->fd, SOL_SOCKET, SO_RCVBUF, (int)(rcv > 0x3fffffff ? 0x3fffffff : rcv)) != 0) {
    e = errno;
    what = "setsockopt(SO_RCVBUF)";
    goto out;
  }
  if (has_snd && set_int(h->fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)(snd > 0x3fffffff ? 0x3fffffff : snd)) != 0 &&
      set_int(h->fd, SOL_SOCKET, SO_SNDBUF, (int)(snd > 0x3fffffff ? 0x3fffffff : snd)) != 0) {
    e = errno;
    what = "setsockopt(SO_SNDBUF)";
    goto out;
  }
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(has_bind ? bind_addr : 0);
  local.sin_port = htons((uint16_t)port);
  if (bind(h->fd, (struct sockaddr *)&local, sizeof local) != 0) {
    e = errno;
    what = "bind";
    goto out;
  }
  if (getsockname(h->fd, (struct sockaddr *)&local, &local_len) != 0) {
    e = errno;
    what = "getsockname";
    goto out;
  }
  /* Helper for IP_MTU: a UDP socket that is connected only during a query. */
  h->aux_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->aux_fd < 0) {
    e = errno;
    what = "socket(udp, path-MTU helper)";
    goto out;
  }
out:
  tp_netns_leave(&ns);
  if (what != NULL) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, e, what, NULL);
    return NULL;
  }
  napi_value obj = tp_handle_create(env, h, argv[1], argv[2], argv[3], argv[4], "tunppp.UdpSocket");
  if (obj != NULL) tp_set_u32(env, obj, "port", ntohs(local.sin_port));
  return obj;
}

/*
 * udpSend(handle, data, meta, count) → datagrams sent. meta holds
 * [offset, length, dst, port << 16, src] per packet (src 0: the kernel's
 * choice); the third word is overwritten with the status: 0 sent, otherwise
 * the errno of that packet (EAGAIN when not tried because the send buffer was
 * full). Never throws for a packet.
 */
napi_value tp_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *data;
  uint32_t *meta;
  size_t dlen, mlen;
  uint32_t count;
  if (argc < 4 || tp_get_u8(env, argv[1], &data, &dlen) != 0 || tp_get_u32arr(env, argv[2], &meta, &mlen) != 0 ||
      tp_arg_u32(env, argv[3], &count) != 0 || (uint64_t)count * TP_META > mlen) {
    tp_throw_usage(env, "udpSend(handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / META_FIELDS)");
    return NULL;
  }
  tp_handle *h = tp_handle_get(env, argv[0], TP_UDP);
  if (h == NULL) return NULL;

  struct mmsghdr msgs[TP_SEND_CHUNK];
  struct iovec iov[TP_SEND_CHUNK];
  struct sockaddr_in dst[TP_SEND_CHUNK];
  union {
    unsigned char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
  } ctl[TP_SEND_CHUNK];
  uint32_t idx[TP_SEND_CHUNK];
  uint32_t sent = 0, i = 0;
  while (i < count) {
    unsigned k = 0;
    while (i < count && k < TP_SEND_CHUNK) {
      uint32_t *m = meta + (size_t)i * TP_META;
      uint32_t port = m[3] >> TP_PORT_SHIFT;
      if ((uint64_t)m[0] + m[1] > dlen || m[1] > TP_UDP_MAX_SEND || port == 0) {
        m[3] = EINVAL;
        i++;
        continue;
      }
      memset(&dst[k], 0, sizeof dst[k]);
      dst[k].sin_family = AF_INET;
      dst[k].sin_addr.s_addr = htonl(m[2]);
      dst[k].sin_port = htons((uint16_t)port);
      iov[k].iov_base = data + m[0];
      iov[k].iov_len = m[1];
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_name = &dst[k];
      msgs[k].msg_hdr.msg_namelen = sizeof dst[k];
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      if (m[4] != 0) {
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        pi.ipi_spec_dst.s_addr = htonl(m[4]);
        memset(ctl[k].buf, 0, sizeof ctl[k].buf);
        msgs[k].msg_hdr.msg_control = ctl[k].buf;
        msgs[k].msg_hdr.msg_controllen = sizeof ctl[k].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[k].msg_hdr);
        c->cmsg_level = SOL_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
      }
      idx[k++] = i++;
    }
    unsigned pos = 0;
    while (pos < k) {
      int r = sendmmsg(h->fd, msgs + pos, k - pos, MSG_DONTWAIT);
      if (r > 0) {
        for (unsigned j = pos; j < pos + (unsigned)r; j++) meta[(size_t)idx[j] * TP_META + 3] = 0;
        sent += (uint32_t)r;
        pos += (unsigned)r;
        continue;
      }
      int e = r == 0 ? EIO : errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        for (unsigned j = pos; j < k; j++) meta[(size_t)idx[j] * TP_META + 3] = EAGAIN;
        for (uint32_t j = i; j < count; j++) meta[(size_t)j * TP_META + 3] = EAGAIN;
        i = count;
        break;
      }
      meta[(size_t)idx[pos] * TP_META + 3] = (uint32_t)e;
      pos++;
    }
  }
  napi_value out;
  napi_create_uint32(env, sent, &out);
  return out;
}

/* udpPathMtu(handle, dst) → the kernel's current path MTU toward dst (IP_MTU). */
napi_value tp_udp_path_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t addr;
  if (argc < 2 || tp_arg_u32(env, argv[1], &addr) != 0) {
    tp_throw_usage(env, "udpPathMtu(handle, dst: u32)");
    return NULL;
  }
  tp_handle *h = tp_handle_get(env, argv[0], TP_UDP);
  if (h == NULL) return NULL;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(9);
  sa.sin_addr.s_addr = htonl(addr);
  if (connect(h->aux_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    tp_throw_errno(env, errno, "connect", "(path-MTU helper)");
    return NULL;
  }
  int mtu = 0;
  socklen_t len = sizeof mtu;
  int rc = getsockopt(h->aux_fd, SOL_IP, IP_MTU, &mtu, &len);
  int e = errno;
  struct sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  (void)connect(h->aux_fd, &unspec, sizeof unspec);
  if (rc != 0) {
    tp_throw_errno(env, e, "getsockopt(IP_MTU)", NULL);
    return NULL;
  }
  napi_value out;
  napi_create_uint32(env, (uint32_t)mtu, &out);
  return out;
}
