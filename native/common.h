/*
 * tunppp native addon: shared declarations.
 *
 * The addon is the I/O edge only: a raw IPv4 socket for protocol 47 (GRE),
 * the TUN device and the interface ioctls. It holds no protocol logic. Every
 * buffer it reads into or sends from is owned by JavaScript; the C side checks
 * each offset and length against the typed array it was given.
 *
 * Read docs of recvmmsg(2), sendmmsg(2), ip(7) (IP_RECVERR, IP_MTU_DISCOVER,
 * IP_MTU), socket(7) (SO_SELECT_ERR_QUEUE) and libuv's uv_poll_t before editing.
 */
#ifndef TUNPPP_COMMON_H
#define TUNPPP_COMMON_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>
#include <stdint.h>
#include <stddef.h>

/* Most datagrams one readable event reads (recvmmsg vlen, TUN read loop). */
#define TP_MAX_SLOTS 1024
/* Packets one readable event may deliver (several batches when slots is
 * small), so a busy fd neither starves the loop nor waits for the next turn
 * with a full queue. */
#define TP_EVENT_BUDGET 256
/* Datagrams one sendmmsg call carries. */
#define TP_SEND_CHUNK 64
/* Bytes of the offending datagram kept from an error-queue entry. */
#define TP_ERR_QUOTE 576
/* Error-queue entries read per event, so one event cannot starve the loop. */
#define TP_ERR_BUDGET 64
/* Fields per packet in a metadata Uint32Array: offset, length, peer address,
 * flags (rx) or status (tx), local address (rx: the datagram's destination
 * from IP_PKTINFO; tx: the source to send from, 0 = the kernel's choice). */
#define TP_META 5

enum tp_kind { TP_GRE = 1, TP_TUN = 2, TP_UDP = 3 };

/* Meta flag bits (rx): the datagram did not fit its slot. */
#define TP_FLAG_TRUNCATED 1u
/* UDP: the peer's port sits in the upper 16 bits of the flags/status word
 * (rx: source port; tx: destination port, before the status replaces it). */
#define TP_PORT_SHIFT 16

/* One open fd polled by libuv. Lives from open until uv_close completes. */
typedef struct tp_handle {
  uv_poll_t poll;
  napi_env env;
  enum tp_kind kind;
  int fd;
  int aux_fd;          /* GRE: unconnected UDP socket in the same netns, for IP_MTU queries */
  int closing;
  int polling;
  int rx_dead;          /* reading stopped for good (rx buffer detached, device gone) */
  napi_ref self;       /* the JS handle object, strong while open */
  napi_ref rx_ref;     /* Uint8Array the datagrams are read into */
  napi_ref meta_ref;   /* Uint32Array: TP_META fields per slot */
  napi_ref on_read;    /* (count) => void */
  napi_ref on_error;   /* (event) => void */
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;
  uint32_t slots;
  uint32_t slot_bytes;
  /* recvmmsg scratch (GRE, UDP), allocated once for `slots` entries */
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_in *addrs;
  unsigned char *ctl;  /* slots * TP_PKTINFO_SPACE, IP_PKTINFO control messages */
} tp_handle;

/* Control-message room for one struct in_pktinfo (a multiple of the cmsg alignment). */
#define TP_PKTINFO_SPACE 32

/* Bytes of an RC4 state array (>= sizeof(RC4_KEY) on every architecture). */
#define TP_RC4_STATE 1032

/* ---- crypto.c ---- */
int tp_crypto_available(void);
napi_value tp_rc4_set_key(napi_env env, napi_callback_info info);
napi_value tp_rc4_process(napi_env env, napi_callback_info info);
napi_value tp_sha1(napi_env env, napi_callback_info info);
napi_value tp_rc4_key_change(napi_env env, napi_callback_info info);

/* ---- csum.c ---- */
napi_value tp_ones_sum(napi_env env, napi_callback_info info);

/* ---- util.c ---- */
napi_status tp_throw_errno(napi_env env, int err, const char *syscall, const char *detail);
napi_status tp_throw_usage(napi_env env, const char *msg);
napi_value tp_make_errno_error(napi_env env, int err, const char *syscall);
int tp_get_u8(napi_env env, napi_value v, uint8_t **data, size_t *len);
int tp_get_u32arr(napi_env env, napi_value v, uint32_t **data, size_t *len);
int tp_prop_u32(napi_env env, napi_value obj, const char *name, uint32_t *out, int *present);
int tp_prop_bool(napi_env env, napi_value obj, const char *name, int *out);
int tp_prop_str(napi_env env, napi_value obj, const char *name, char *buf, size_t cap, int *present);
int tp_arg_u32(napi_env env, napi_value v, uint32_t *out);
void tp_set_u32(napi_env env, napi_value obj, const char *name, uint32_t v);
void tp_set_str(napi_env env, napi_value obj, const char *name, const char *s);

/* Network namespace switching for the calling (main) thread. */
typedef struct { int self_fd; int active; } tp_netns;
int tp_netns_enter(napi_env env, const char *path, tp_netns *g);
void tp_netns_leave(tp_netns *g);

/* ---- handle.c ---- */
napi_value tp_handle_create(napi_env env, tp_handle *h, napi_value rx, napi_value meta,
                            napi_value on_read, napi_value on_error, const char *resource);
void tp_handle_destroy_unstarted(napi_env env, tp_handle *h);
tp_handle *tp_handle_get(napi_env env, napi_value obj, enum tp_kind kind);
int tp_handle_rx(tp_handle *h, napi_env env, uint8_t **rx, uint32_t **meta);
void tp_handle_emit_read(tp_handle *h, uint32_t count);
void tp_handle_emit_error(tp_handle *h, napi_value event);
napi_value tp_close(napi_env env, napi_callback_info info);
void tp_handle_stop_reading(tp_handle *h);
void tp_handle_read_loop(tp_handle *h, uint32_t (*read_batch)(tp_handle *));
tp_handle *tp_handle_batch_args(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage,
                                uint8_t **data, size_t *dlen, uint32_t **meta, uint32_t *count);

/* ---- sock.c: what the GRE and UDP sockets share ---- */
/* Options greOpen and udpOpen both read. */
typedef struct {
  char netns[512];
  int has_ns, has_bind, has_rcv, has_snd, probe;
  uint32_t bind_addr, rcv, snd, slots, slot_bytes;
} tp_sock_opts;
int tp_sock_opts_parse(napi_env env, napi_value obj, tp_sock_opts *o);
tp_handle *tp_sock_handle_new(napi_env env, enum tp_kind kind, const tp_sock_opts *o);
int tp_sock_setup(int fd, const tp_sock_opts *o, int reuse_addr, const char **what);
napi_value tp_sock_open(napi_env env, napi_value *argv, enum tp_kind kind, const tp_sock_opts *o, int reuse_addr,
                        uint16_t port, const char *resource, uint16_t *bound_port);
napi_value tp_sock_send(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage);
napi_value tp_sock_path_mtu(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage);
void tp_sock_on_poll(tp_handle *h, int status, int events);

/* ---- gre.c / tun.c ---- */
napi_value tp_gre_open(napi_env env, napi_callback_info info);
napi_value tp_gre_send(napi_env env, napi_callback_info info);
napi_value tp_gre_path_mtu(napi_env env, napi_callback_info info);
napi_value tp_tun_open(napi_env env, napi_callback_info info);
napi_value tp_tun_write(napi_env env, napi_callback_info info);
napi_value tp_if_configure(napi_env env, napi_callback_info info);
void tp_tun_on_poll(tp_handle *h, int status, int events);

/* ---- udp.c ---- */
napi_value tp_udp_open(napi_env env, napi_callback_info info);
napi_value tp_udp_send(napi_env env, napi_callback_info info);
napi_value tp_udp_path_mtu(napi_env env, napi_callback_info info);

#endif
