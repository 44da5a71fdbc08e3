/*
 * Raw IPv4 socket for protocol 47 (GRE): batched receive and send, ICMP
 * errors from the error queue, path-MTU queries. No GRE parsing happens here.
 *
 * The socket is not connected: one socket serves every peer, and the source
 * address of each datagram comes from recvmmsg's msg_name.
 *
 * Path-MTU discovery mode (IP_MTU_DISCOVER):
 *   IP_PMTUDISC_DO (default) sets DF on every datagram and makes the kernel
 *   honour the path MTU it has learnt: a datagram larger than that fails in
 *   sendmmsg with EMSGSIZE before it reaches the wire. We want both halves:
 *   DF so that routers tell us (ICMP type 3 code 4) instead of fragmenting
 *   tunnel packets, and the local EMSGSIZE so that an oversized packet costs
 *   no round trip. Neither is fatal: the ICMP arrives as an error-queue event,
 *   the EMSGSIZE as a per-packet status the TypeScript side turns into an
 *   event carrying the current path MTU (IP_MTU on a helper UDP socket).
 *   IP_PMTUDISC_PROBE also sets DF but ignores the learnt path MTU (only the
 *   device MTU limits a send); it is for probing the path, e.g. `tunppp mtu`.
 *
 * ICMP errors: with IP_RECVERR the kernel queues each ICMP error for this
 * socket on its error queue (and sets the socket error, which would make the
 * next recvmmsg fail once). We read the queue with MSG_ERRQUEUE whenever poll
 * reports it (SO_SELECT_ERR_QUEUE turns it into POLLPRI for libuv) and treat a
 * recvmmsg failure as "error queue has news": drain, then read again.
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

_Static_assert(TP_PKTINFO_SPACE >= CMSG_SPACE(sizeof(struct in_pktinfo)), "TP_PKTINFO_SPACE too small");

/* Largest payload of a raw IPv4 datagram without IP_HDRINCL. */
#define TP_GRE_MAX_SEND 65515u

/* Reads the error queue and hands each entry to onError. */
static void drain_errqueue(tp_handle *h) {
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
    const struct cmsghdr *c;
    size_t ee_room = 0;
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, (struct cmsghdr *)c)) {
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR &&
          c->cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
        ee = (const struct sock_extended_err *)CMSG_DATA(c);
        ee_room = c->cmsg_len - CMSG_LEN(0);
        break;
      }
    }
    if (ee == NULL) continue; /* nothing we understand: drop the entry */

    napi_value ev, q;
    napi_create_object(env, &ev);
    tp_set_str(env, ev, "errno", ee->ee_errno ? uv_err_name(-(int)ee->ee_errno) : "");
    tp_set_u32(env, ev, "errnoNumber", ee->ee_errno);
    tp_set_u32(env, ev, "origin", ee->ee_origin);
    tp_set_u32(env, ev, "type", ee->ee_type);
    tp_set_u32(env, ev, "code", ee->ee_code);
    tp_set_u32(env, ev, "info", ee->ee_info);
    if (m.msg_namelen >= sizeof dst && dst.sin_family == AF_INET)
      tp_set_u32(env, ev, "dst", ntohl(dst.sin_addr.s_addr));
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

/* A recv failure that only reports a consumed socket error (set by an ICMP
 * error); the error queue holds the details. */
static int is_socket_error_report(int e) {
  switch (e) {
    case EBADF: case EFAULT: case EINVAL: case ENOMEM: case ENOTSOCK:
      return 0;
    default:
      return 1;
  }
}

/* Reads one recvmmsg batch into the rx buffer and hands it to onRead.
 * Returns the number of datagrams read (0: queue empty or error). */
static int gre_read_batch(tp_handle *h) {
  napi_env env = h->env;
  uint8_t *rx;
  uint32_t *meta;
  if (tp_handle_rx(h, env, &rx, &meta) != 0) {
    /* The buffer was detached or shrunk: stop reading rather than overrun it. */
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
    if (!is_socket_error_report(e)) {
      tp_handle_emit_error(h, tp_make_errno_error(env, e, "recvmmsg"));
      return 0;
    }
    drain_errqueue(h);
    if (h->closing) return 0;
  }
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    const struct msghdr *mh = &h->msgs[i].msg_hdr;
    uint32_t *m = meta + (size_t)i * TP_META;
    m[0] = (uint32_t)i * h->slot_bytes;
    m[1] = h->msgs[i].msg_len <= h->slot_bytes ? h->msgs[i].msg_len : h->slot_bytes;
    m[2] = (mh->msg_namelen >= sizeof(struct sockaddr_in) && h->addrs[i].sin_family == AF_INET)
               ? ntohl(h->addrs[i].sin_addr.s_addr) : 0;
    m[3] = (mh->msg_flags & MSG_TRUNC) ? TP_FLAG_TRUNCATED : 0;
    m[4] = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        m[4] = ntohl(pi.ipi_addr.s_addr); /* the header's destination: which local address the peer used */
        break;
      }
    }
  }
  tp_handle_emit_read(h, (uint32_t)n);
  return n;
}

/* Batches until the queue is empty (a short batch) or the event budget is spent. */
static void gre_read(tp_handle *h) {
  uint32_t total = 0;
  while (!h->closing && !h->rx_dead && total < TP_EVENT_BUDGET) {
    int n = gre_read_batch(h);
    total += (uint32_t)n;
    if ((uint32_t)n < h->slots) break;
  }
}

void tp_gre_on_poll(tp_handle *h, int status, int events) {
  if (status < 0 || (events & UV_PRIORITIZED)) drain_errqueue(h);
  if (!h->closing && (status < 0 || (events & UV_READABLE))) gre_read(h);
}

static int set_int(int fd, int level, int opt, int v) {
  return setsockopt(fd, level, opt, &v, sizeof v);
}

/*
 * greOpen({ netns?, bind?, pmtuProbe?, rcvbufBytes?, sndbufBytes?, slots, slotBytes },
 *         rx: Uint8Array, meta: Uint32Array, onRead(count), onError(event)) → handle
 */
napi_value tp_gre_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    tp_throw_usage(env, "greOpen(opts, rx, meta, onRead, onError)");
    return NULL;
  }
  char netns[512];
  int has_ns, has_bind, has_rcv, has_snd, has_slots, has_sb, probe;
  uint32_t bind_addr = 0, rcv = 0, snd = 0, slots = 0, slot_bytes = 0;
  if (tp_prop_str(env, argv[0], "netns", netns, sizeof netns, &has_ns) != 0 ||
      tp_prop_u32(env, argv[0], "bind", &bind_addr, &has_bind) != 0 ||
      tp_prop_bool(env, argv[0], "pmtuProbe", &probe) != 0 ||
      tp_prop_u32(env, argv[0], "rcvbufBytes", &rcv, &has_rcv) != 0 ||
      tp_prop_u32(env, argv[0], "sndbufBytes", &snd, &has_snd) != 0 ||
      tp_prop_u32(env, argv[0], "slots", &slots, &has_slots) != 0 ||
      tp_prop_u32(env, argv[0], "slotBytes", &slot_bytes, &has_sb) != 0 || !has_slots || !has_sb ||
      slots == 0 || slots > TP_MAX_SLOTS || slot_bytes == 0 || slot_bytes > (1u << 20)) {
    tp_throw_usage(env, "greOpen: bad options (slots 1..1024 and slotBytes 1..1 MiB are required)");
    return NULL;
  }

  tp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  h->kind = TP_GRE;
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
  h->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
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
  /* Best effort: without it libuv reports a bare POLLERR, which handle.c
   * recovers from by draining and restarting the poll. */
#ifndef TP_TEST_NO_SELECT_ERR_QUEUE
  (void)set_int(h->fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, 1);
#endif
  /* Per-datagram local address: a multi-homed server answers from the address the client used. */
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
  /* The *FORCE variants pass the rmem_max/wmem_max caps with CAP_NET_ADMIN. */
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
  struct sockaddr_in local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(bind_addr);
  if (has_bind && bind(h->fd, (struct sockaddr *)&local, sizeof local) != 0) {
    e = errno;
    what = "bind";
    goto out;
  }
  /* Helper for IP_MTU: a UDP socket that is connected only during a query. */
  h->aux_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->aux_fd < 0) {
    e = errno;
    what = "socket(udp, path-MTU helper)";
    goto out;
  }
  if (has_bind && bind(h->aux_fd, (struct sockaddr *)&local, sizeof local) != 0) {
    e = errno;
    what = "bind(path-MTU helper)";
    goto out;
  }
out:
  tp_netns_leave(&ns);
  if (what != NULL) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, e, what, NULL);
    return NULL;
  }
  return tp_handle_create(env, h, argv[1], argv[2], argv[3], argv[4], "tunppp.GreSocket");
}

/*
 * greSend(handle, data: Uint8Array, meta: Uint32Array, count) → packets sent.
 * meta holds [offset, length, dst, status, src] per packet (addresses host
 * order; src 0 lets the kernel choose); status is
 * written back: 0 sent, otherwise the errno of that packet (EAGAIN for packets
 * not tried because the send buffer was full). Never throws for a packet.
 */
napi_value tp_gre_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *data;
  uint32_t *meta;
  size_t dlen, mlen;
  uint32_t count;
  if (argc < 4 || tp_get_u8(env, argv[1], &data, &dlen) != 0 || tp_get_u32arr(env, argv[2], &meta, &mlen) != 0 ||
      tp_arg_u32(env, argv[3], &count) != 0 || (uint64_t)count * TP_META > mlen) {
    tp_throw_usage(env, "greSend(handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / 4)");
    return NULL;
  }
  tp_handle *h = tp_handle_get(env, argv[0], TP_GRE);
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
      if ((uint64_t)m[0] + m[1] > dlen || m[1] > TP_GRE_MAX_SEND) {
        m[3] = EINVAL;
        i++;
        continue;
      }
      memset(&dst[k], 0, sizeof dst[k]);
      dst[k].sin_family = AF_INET;
      dst[k].sin_addr.s_addr = htonl(m[2]);
      iov[k].iov_base = data + m[0];
      iov[k].iov_len = m[1];
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_name = &dst[k];
      msgs[k].msg_hdr.msg_namelen = sizeof dst[k];
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      if (m[4] != 0) {
        /* IP_PKTINFO ipi_spec_dst: the source address of this datagram. */
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
      /* sendmmsg loses the errno of a packet after the first; a failing
       * packet is retried alone at the head of the next call, which reports it. */
      meta[(size_t)idx[pos] * TP_META + 3] = (uint32_t)e;
      pos++;
    }
  }
  napi_value out;
  napi_create_uint32(env, sent, &out);
  return out;
}

/* pathMtu(handle, dst) → the kernel's current path MTU toward dst (IP_MTU). */
napi_value tp_gre_path_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t addr;
  if (argc < 2 || tp_arg_u32(env, argv[1], &addr) != 0) {
    tp_throw_usage(env, "pathMtu(handle, dst: u32)");
    return NULL;
  }
  tp_handle *h = tp_handle_get(env, argv[0], TP_GRE);
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
