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
 * an ICMP error set the socket error drains the queue and reads again. Both
 * sockets share that code (sock.c); this file holds what only UDP has.
 */
#include "common.h"

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
  tp_sock_opts o;
  int has_port, reuse;
  uint32_t port = 0;
  if (tp_sock_opts_parse(env, argv[0], &o) != 0 || tp_prop_u32(env, argv[0], "port", &port, &has_port) != 0 ||
      tp_prop_bool(env, argv[0], "reuseAddr", &reuse) != 0 || port > 65535) {
    tp_throw_usage(env, "udpOpen: bad options (slots 1..1024, slotBytes 1..1 MiB, port 0..65535)");
    return NULL;
  }
  uint16_t bound_port = 0;
  napi_value obj = tp_sock_open(env, argv, TP_UDP, &o, reuse, (uint16_t)port, "tunppp.UdpSocket", &bound_port);
  if (obj != NULL) tp_set_u32(env, obj, "port", bound_port);
  return obj;
}

/*
 * udpSend(handle, data, meta, count) → datagrams sent. meta holds
 * [offset, length, dst, port << 16, src] per packet (src 0: the kernel's
 * choice); the fourth word is overwritten with the status (see tp_sock_send).
 */
napi_value tp_udp_send(napi_env env, napi_callback_info info) {
  return tp_sock_send(env, info, TP_UDP,
                      "udpSend(handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / META_FIELDS)");
}

/* udpPathMtu(handle, dst) → the kernel's current path MTU toward dst (IP_MTU). */
napi_value tp_udp_path_mtu(napi_env env, napi_callback_info info) {
  return tp_sock_path_mtu(env, info, TP_UDP, "udpPathMtu(handle, dst: u32)");
}
