/*
 * What the two batched IPv4 datagram sockets share: the raw GRE socket
 * (gre.c) and the L2TP UDP socket (udp.c). Options, socket setup, the error
 * queue, recvmmsg batches, sendmmsg chunks and the IP_MTU query live here;
 * gre.c and udp.c keep only what differs (socket type, binding, port).
 *
 * UDP handles carry the peer's port in the upper 16 bits of the flags/status
 * word (common.h TP_PORT_SHIFT) and in `dstPort` of error-queue events; GRE
 * handles leave both out. The kind of the handle decides.
 *
 * ICMP errors: with IP_RECVERR the kernel queues each ICMP error for the
 * socket on its error queue (and sets the socket error, which would make the
 * next recvmmsg fail once). The queue is read with MSG_ERRQUEUE whenever poll
 * reports it (SO_SELECT_ERR_QUEUE turns it into POLLPRI for libuv), and a
 * recvmmsg failure counts as "error queue has news": drain, then read again.
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
/* Largest UDP payload over IPv4. */
#define TP_UDP_MAX_SEND 65507u

/* Reads the error queue and hands each entry to onError (UDP: with dstPort). */
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
    size_t ee_room = 0;
    for (const struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, (struct cmsghdr *)c)) {
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
    if (m.msg_namelen >= sizeof dst && dst.sin_family == AF_INET) {
      tp_set_u32(env, ev, "dst", ntohl(dst.sin_addr.s_addr));
      if (h->kind == TP_UDP) tp_set_u32(env, ev, "dstPort", ntohs(dst.sin_port));
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
static uint32_t read_batch(tp_handle *h) {
  napi_env env = h->env;
  uint8_t *rx;
  uint32_t *meta;
  if (tp_handle_rx(h, env, &rx, &meta) != 0) {
    /* The buffer was detached or shrunk: stop reading rather than overrun it. */
    tp_handle_stop_reading(h);
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
  int with_port = h->kind == TP_UDP;
  for (int i = 0; i < n; i++) {
    const struct msghdr *mh = &h->msgs[i].msg_hdr;
    uint32_t *m = meta + (size_t)i * TP_META;
    int v4 = mh->msg_namelen >= sizeof(struct sockaddr_in) && h->addrs[i].sin_family == AF_INET;
    m[0] = (uint32_t)i * h->slot_bytes;
    m[1] = h->msgs[i].msg_len <= h->slot_bytes ? h->msgs[i].msg_len : h->slot_bytes;
    m[2] = v4 ? ntohl(h->addrs[i].sin_addr.s_addr) : 0;
    m[3] = ((mh->msg_flags & MSG_TRUNC) ? TP_FLAG_TRUNCATED : 0) |
           (with_port && v4 ? (uint32_t)ntohs(h->addrs[i].sin_port) << TP_PORT_SHIFT : 0);
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
  return (uint32_t)n;
}

void tp_sock_on_poll(tp_handle *h, int status, int events) {
  if (status < 0 || (events & UV_PRIORITIZED)) drain_errqueue(h);
  if (!h->closing && (status < 0 || (events & UV_READABLE))) tp_handle_read_loop(h, read_batch);
}

/* Options both opens read; 0, or -1 for the caller to throw its usage error. */
int tp_sock_opts_parse(napi_env env, napi_value obj, tp_sock_opts *o) {
  int has_slots, has_sb;
  o->bind_addr = o->rcv = o->snd = o->slots = o->slot_bytes = 0;
  if (tp_prop_str(env, obj, "netns", o->netns, sizeof o->netns, &o->has_ns) != 0 ||
      tp_prop_u32(env, obj, "bind", &o->bind_addr, &o->has_bind) != 0 ||
      tp_prop_bool(env, obj, "pmtuProbe", &o->probe) != 0 ||
      tp_prop_u32(env, obj, "rcvbufBytes", &o->rcv, &o->has_rcv) != 0 ||
      tp_prop_u32(env, obj, "sndbufBytes", &o->snd, &o->has_snd) != 0 ||
      tp_prop_u32(env, obj, "slots", &o->slots, &has_slots) != 0 ||
      tp_prop_u32(env, obj, "slotBytes", &o->slot_bytes, &has_sb) != 0 || !has_slots || !has_sb ||
      o->slots == 0 || o->slots > TP_MAX_SLOTS || o->slot_bytes == 0 || o->slot_bytes > (1u << 20))
    return -1;
  return 0;
}

/* A handle with its recvmmsg scratch for o->slots, no fd yet; NULL with an exception pending. */
tp_handle *tp_sock_handle_new(napi_env env, enum tp_kind kind, const tp_sock_opts *o) {
  tp_handle *h = calloc(1, sizeof *h);
  if (h == NULL) {
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  h->kind = kind;
  h->fd = -1;
  h->aux_fd = -1;
  h->slots = o->slots;
  h->slot_bytes = o->slot_bytes;
  h->msgs = calloc(o->slots, sizeof *h->msgs);
  h->iov = calloc(o->slots, sizeof *h->iov);
  h->addrs = calloc(o->slots, sizeof *h->addrs);
  h->ctl = calloc(o->slots, TP_PKTINFO_SPACE);
  if (!h->msgs || !h->iov || !h->addrs || !h->ctl) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  return h;
}

static int set_int(int fd, int level, int opt, int v) {
  return setsockopt(fd, level, opt, &v, sizeof v);
}

/* SO_*BUFFORCE passes the rmem_max/wmem_max caps with CAP_NET_ADMIN; without it the plain option. */
static int set_buf(int fd, int force_opt, int opt, uint32_t bytes) {
  int v = (int)(bytes > 0x3fffffff ? 0x3fffffff : bytes);
  if (set_int(fd, SOL_SOCKET, force_opt, v) == 0) return 0;
  return set_int(fd, SOL_SOCKET, opt, v);
}

/*
 * Socket options of a fresh socket: the error queue (IP_RECVERR,
 * SO_SELECT_ERR_QUEUE), per-datagram local address (IP_PKTINFO), DF and path
 * MTU (IP_MTU_DISCOVER), SO_REUSEADDR when asked, buffer sizes. Returns 0, or
 * the errno with *what naming the failed option.
 */
int tp_sock_setup(int fd, const tp_sock_opts *o, int reuse_addr, const char **what) {
  if (set_int(fd, SOL_IP, IP_RECVERR, 1) != 0) {
    *what = "setsockopt(IP_RECVERR)";
    return errno;
  }
  /* Best effort: without it libuv reports a bare POLLERR, which handle.c
   * recovers from by draining and restarting the poll. */
#ifndef TP_TEST_NO_SELECT_ERR_QUEUE
  (void)set_int(fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, 1);
#endif
  /* Per-datagram local address: a multi-homed server answers from the address the client used. */
  if (set_int(fd, SOL_IP, IP_PKTINFO, 1) != 0) {
    *what = "setsockopt(IP_PKTINFO)";
    return errno;
  }
  if (set_int(fd, SOL_IP, IP_MTU_DISCOVER, o->probe ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DO) != 0) {
    *what = "setsockopt(IP_MTU_DISCOVER)";
    return errno;
  }
  if (reuse_addr && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
    *what = "setsockopt(SO_REUSEADDR)";
    return errno;
  }
  if (o->has_rcv && set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, o->rcv) != 0) {
    *what = "setsockopt(SO_RCVBUF)";
    return errno;
  }
  if (o->has_snd && set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, o->snd) != 0) {
    *what = "setsockopt(SO_SNDBUF)";
    return errno;
  }
  return 0;
}

/*
 * Opens the socket of a greOpen/udpOpen call in o's namespace: GRE a raw
 * socket for protocol 47, bound only when o asks; UDP a datagram socket always
 * bound (to o's address or 0.0.0.0, and `port`, 0 for an ephemeral one). Then
 * the unconnected helper socket for IP_MTU queries (GRE: bound like the main
 * socket), and the polled handle. argv is (opts, rx, meta, onRead, onError).
 * Returns the JS handle and the bound port in *bound_port, or NULL with an
 * exception pending.
 */
napi_value tp_sock_open(napi_env env, napi_value *argv, enum tp_kind kind, const tp_sock_opts *o, int reuse_addr,
                        uint16_t port, const char *resource, uint16_t *bound_port) {
  tp_handle *h = tp_sock_handle_new(env, kind, o);
  if (h == NULL) return NULL;
  tp_netns ns;
  if (tp_netns_enter(env, o->has_ns ? o->netns : NULL, &ns) != 0) {
    tp_handle_destroy_unstarted(env, h);
    return NULL;
  }
  int udp = kind == TP_UDP;
  int e = 0;
  const char *what = NULL;
  struct sockaddr_in local;
  socklen_t local_len = sizeof local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(o->has_bind ? o->bind_addr : 0);
  local.sin_port = htons(port);
  h->fd = udp ? socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
              : socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
  if (h->fd < 0) {
    e = errno;
    what = "socket";
    goto out;
  }
  e = tp_sock_setup(h->fd, o, reuse_addr, &what);
  if (e != 0) goto out;
  if ((udp || o->has_bind) && bind(h->fd, (struct sockaddr *)&local, sizeof local) != 0) {
    e = errno;
    what = "bind";
    goto out;
  }
  if (udp && getsockname(h->fd, (struct sockaddr *)&local, &local_len) != 0) {
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
  if (!udp && o->has_bind && bind(h->aux_fd, (struct sockaddr *)&local, sizeof local) != 0) {
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
  *bound_port = ntohs(local.sin_port);
  return tp_handle_create(env, h, argv[1], argv[2], argv[3], argv[4], resource);
}

/*
 * greSend/udpSend(handle, data: Uint8Array, meta: Uint32Array, count) →
 * packets sent. meta holds [offset, length, dst, status, src] per packet
 * (addresses host order; src 0 lets the kernel choose; UDP: the destination
 * port in the upper 16 bits of the status word, read before the status
 * replaces it). The status is written back: 0 sent, otherwise the errno of
 * that packet (EAGAIN for packets not tried because the send buffer was
 * full). Never throws for a packet.
 */
napi_value tp_sock_send(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage) {
  uint8_t *data;
  uint32_t *meta;
  size_t dlen;
  uint32_t count;
  tp_handle *h = tp_handle_batch_args(env, info, kind, usage, &data, &dlen, &meta, &count);
  if (h == NULL) return NULL;
  int with_port = kind == TP_UDP;
  uint32_t max_send = with_port ? TP_UDP_MAX_SEND : TP_GRE_MAX_SEND;

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
      uint32_t port = with_port ? m[3] >> TP_PORT_SHIFT : 0;
      if ((uint64_t)m[0] + m[1] > dlen || m[1] > max_send || (with_port && port == 0)) {
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

/* pathMtu/udpPathMtu(handle, dst) → the kernel's current path MTU toward dst
 * (IP_MTU on the helper UDP socket, connected only for the query). */
napi_value tp_sock_path_mtu(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t addr;
  if (argc < 2 || tp_arg_u32(env, argv[1], &addr) != 0) {
    tp_throw_usage(env, usage);
    return NULL;
  }
  tp_handle *h = tp_handle_get(env, argv[0], kind);
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
