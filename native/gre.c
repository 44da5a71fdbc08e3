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
 * ICMP errors come from the error queue (IP_RECVERR); how they are read, the
 * recvmmsg/sendmmsg batches and the IP_MTU query are in sock.c, shared with
 * the UDP socket (udp.c).
 */
#include "common.h"

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
  tp_sock_opts o;
  if (tp_sock_opts_parse(env, argv[0], &o) != 0) {
    tp_throw_usage(env, "greOpen: bad options (slots 1..1024 and slotBytes 1..1 MiB are required)");
    return NULL;
  }
  uint16_t bound_port;
  return tp_sock_open(env, argv, TP_GRE, &o, 0, 0, "tunppp.GreSocket", &bound_port);
}

/*
 * greSend(handle, data: Uint8Array, meta: Uint32Array, count) → packets sent.
 * meta holds [offset, length, dst, status, src] per packet (see tp_sock_send).
 */
napi_value tp_gre_send(napi_env env, napi_callback_info info) {
  return tp_sock_send(env, info, TP_GRE, "greSend(handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / 4)");
}

/* pathMtu(handle, dst) → the kernel's current path MTU toward dst (IP_MTU). */
napi_value tp_gre_path_mtu(napi_env env, napi_callback_info info) {
  return tp_sock_path_mtu(env, info, TP_GRE, "pathMtu(handle, dst: u32)");
}
