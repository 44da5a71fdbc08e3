/*
 * Lifetime of a polled fd (GRE or UDP socket, TUN queue), and what every
 * kind shares around it: the read loop with its event budget, the arguments
 * of a batch send.
 *
 * open  → the fd is watched by a uv_poll_t (level-triggered, readable +
 *         prioritized); the JS handle object is held by a strong reference so
 *         it cannot be collected while the fd is open.
 * event → sock.c/tun.c read a batch into the JS-owned buffer and call
 *         onRead(count) once through napi_make_callback.
 * close → uv_close, then the fd is closed at once (it is out of epoll); the
 *         references and scratch memory are released in the close callback,
 *         so a close() from inside onRead is safe. Worker or
 *         environment teardown closes the same way through an async cleanup hook.
 */
#include "common.h"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void on_closed(uv_handle_t *uh) {
  tp_handle *h = uh->data;
  napi_env env = h->env;
  if (h->self) napi_delete_reference(env, h->self);
  if (h->rx_ref) napi_delete_reference(env, h->rx_ref);
  if (h->meta_ref) napi_delete_reference(env, h->meta_ref);
  if (h->on_read) napi_delete_reference(env, h->on_read);
  if (h->on_error) napi_delete_reference(env, h->on_error);
  if (h->actx) napi_async_destroy(env, h->actx);
  if (h->cleanup) napi_remove_async_cleanup_hook(h->cleanup);
  free(h->msgs);
  free(h->iov);
  free(h->addrs);
  free(h->ctl);
  free(h);
}

static void begin_close(tp_handle *h) {
  if (h->closing) return;
  h->closing = 1;
  if (h->polling) uv_poll_stop(&h->poll);
  h->polling = 0;
  uv_close((uv_handle_t *)&h->poll, on_closed);
  /* libuv: the fd may be closed right after uv_close (it is out of epoll).
   * Closing it now makes close() synchronous for the kernel object: a TUN
   * device is gone, and its name free, when close() returns. */
  if (h->fd >= 0) close(h->fd);
  if (h->aux_fd >= 0) close(h->aux_fd);
  h->fd = -1;
  h->aux_fd = -1;
}

static void on_env_cleanup(napi_async_cleanup_hook_handle hh, void *arg) {
  (void)hh;
  begin_close((tp_handle *)arg);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  tp_handle *h = p->data;
  if (h->closing) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(h->env, &scope) != napi_ok) return;
  if (status < 0) h->polling = 0; /* libuv has stopped the handle */
  if (h->kind == TP_TUN) tp_tun_on_poll(h, status, events);
  else tp_sock_on_poll(h, status, events);
  /* libuv stops a poll handle after a bare POLLERR. On the GRE socket that
   * only means "error queue has news" (already drained): restart. On a TUN
   * fd it means the device is gone: stay stopped instead of spinning. */
  if (!h->closing && status < 0 && (h->kind == TP_GRE || h->kind == TP_UDP) && !h->rx_dead) {
    int r = uv_poll_start(&h->poll, UV_READABLE | UV_PRIORITIZED, on_poll);
    if (r == 0) h->polling = 1;
    else {
      napi_value ev = tp_make_errno_error(h->env, -r, "uv_poll_start");
      tp_handle_emit_error(h, ev);
    }
  }
  napi_close_handle_scope(h->env, scope);
}

/* Frees a handle whose poll was never initialised (open failed early). */
void tp_handle_destroy_unstarted(napi_env env, tp_handle *h) {
  (void)env;
  if (h->fd >= 0) close(h->fd);
  if (h->aux_fd >= 0) close(h->aux_fd);
  free(h->msgs);
  free(h->iov);
  free(h->addrs);
  free(h->ctl);
  free(h);
}

/*
 * Starts polling h->fd and returns the JS handle object, or NULL with an
 * exception pending (h is then released).
 */
napi_value tp_handle_create(napi_env env, tp_handle *h, napi_value rx, napi_value meta,
                            napi_value on_read, napi_value on_error, const char *resource) {
  uint8_t *rxp;
  uint32_t *mp;
  size_t rxn, mn;
  napi_valuetype t1, t2;
  if (tp_get_u8(env, rx, &rxp, &rxn) != 0 || tp_get_u32arr(env, meta, &mp, &mn) != 0 ||
      napi_typeof(env, on_read, &t1) != napi_ok || napi_typeof(env, on_error, &t2) != napi_ok ||
      t1 != napi_function || t2 != napi_function) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_usage(env, "expected (rx: Uint8Array, meta: Uint32Array, onRead: function, onError: function)");
    return NULL;
  }
  if (h->slots == 0 || h->slots > TP_MAX_SLOTS || h->slot_bytes == 0 ||
      (uint64_t)h->slots * h->slot_bytes > rxn || (uint64_t)h->slots * TP_META > mn) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_usage(env, "rx buffer or meta array smaller than slots * slotBytes / slots * META_FIELDS");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_usage(env, "no libuv loop");
    return NULL;
  }
  int r = uv_poll_init(loop, &h->poll, h->fd);
  if (r != 0) {
    tp_handle_destroy_unstarted(env, h);
    tp_throw_errno(env, -r, "uv_poll_init", NULL);
    return NULL;
  }
  h->poll.data = h;
  h->env = env;

  napi_value obj, name;
  napi_create_object(env, &obj);
  napi_wrap(env, obj, h, NULL, NULL, NULL);
  napi_create_reference(env, obj, 1, &h->self);
  napi_create_reference(env, rx, 1, &h->rx_ref);
  napi_create_reference(env, meta, 1, &h->meta_ref);
  napi_create_reference(env, on_read, 1, &h->on_read);
  napi_create_reference(env, on_error, 1, &h->on_error);
  napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, obj, name, &h->actx);
  napi_add_async_cleanup_hook(env, on_env_cleanup, h, &h->cleanup);

  /* UV_PRIORITIZED: with SO_SELECT_ERR_QUEUE an error-queue entry raises
   * POLLERR|POLLPRI, which libuv delivers instead of stopping the handle. */
  r = uv_poll_start(&h->poll, UV_READABLE | UV_PRIORITIZED, on_poll);
  if (r != 0) {
    void *unused;
    napi_remove_wrap(env, obj, &unused);
    begin_close(h);
    tp_throw_errno(env, -r, "uv_poll_start", NULL);
    return NULL;
  }
  h->polling = 1;
  return obj;
}

/* The open handle wrapped by `obj`, or NULL with an exception pending. */
tp_handle *tp_handle_get(napi_env env, napi_value obj, enum tp_kind kind) {
  void *p = NULL;
  if (napi_unwrap(env, obj, &p) != napi_ok || p == NULL) {
    tp_throw_errno(env, EBADF, "handle", "(closed)");
    return NULL;
  }
  tp_handle *h = p;
  if (h->kind != kind || h->closing) {
    tp_throw_errno(env, EBADF, "handle", "(wrong kind or closing)");
    return NULL;
  }
  return h;
}

/* Current pointers of the JS-owned rx buffer and meta array, checked again on
 * every event: a detached ArrayBuffer shows up as length 0. */
int tp_handle_rx(tp_handle *h, napi_env env, uint8_t **rx, uint32_t **meta) {
  napi_value v;
  size_t n;
  if (napi_get_reference_value(env, h->rx_ref, &v) != napi_ok || v == NULL) return -1;
  if (tp_get_u8(env, v, rx, &n) != 0 || (uint64_t)h->slots * h->slot_bytes > n) return -1;
  if (napi_get_reference_value(env, h->meta_ref, &v) != napi_ok || v == NULL) return -1;
  if (tp_get_u32arr(env, v, meta, &n) != 0 || (uint64_t)h->slots * TP_META > n) return -1;
  return 0;
}

/* Stops reading for good (rx buffer detached, device gone): no restart after POLLERR. */
void tp_handle_stop_reading(tp_handle *h) {
  uv_poll_stop(&h->poll);
  h->polling = 0;
  h->rx_dead = 1;
}

/* Reads batches until the queue is empty (a short batch) or the event budget is spent. */
void tp_handle_read_loop(tp_handle *h, uint32_t (*read_batch)(tp_handle *)) {
  uint32_t total = 0;
  while (!h->closing && !h->rx_dead && total < TP_EVENT_BUDGET) {
    uint32_t n = read_batch(h);
    total += n;
    if (n < h->slots) break;
  }
}

/*
 * Arguments of a batch send (greSend, udpSend, tunWrite):
 * (handle, data: Uint8Array, meta: Uint32Array, count ≤ meta.length / TP_META).
 * Returns the open handle of `kind`, or NULL with an exception pending
 * (`usage` for bad arguments).
 */
tp_handle *tp_handle_batch_args(napi_env env, napi_callback_info info, enum tp_kind kind, const char *usage,
                                uint8_t **data, size_t *dlen, uint32_t **meta, uint32_t *count) {
  size_t argc = 4;
  napi_value argv[4];
  size_t mlen;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || tp_get_u8(env, argv[1], data, dlen) != 0 || tp_get_u32arr(env, argv[2], meta, &mlen) != 0 ||
      tp_arg_u32(env, argv[3], count) != 0 || (uint64_t)*count * TP_META > mlen) {
    tp_throw_usage(env, usage);
    return NULL;
  }
  return tp_handle_get(env, argv[0], kind);
}

static void call_js(tp_handle *h, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = h->env;
  napi_value fn, recv, result;
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  napi_status s = napi_make_callback(env, h->actx, recv, fn, argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err); /* → process 'uncaughtException' */
  }
}

void tp_handle_emit_read(tp_handle *h, uint32_t count) {
  napi_value n;
  napi_create_uint32(h->env, count, &n);
  call_js(h, h->on_read, 1, &n);
}

void tp_handle_emit_error(tp_handle *h, napi_value event) {
  if (h->closing) return;
  call_js(h, h->on_error, 1, &event);
}

/* close(handle): idempotent. */
napi_value tp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    tp_throw_usage(env, "close(handle)");
    return NULL;
  }
  void *p = NULL;
  if (napi_remove_wrap(env, argv[0], &p) == napi_ok && p != NULL) begin_close((tp_handle *)p);
  return NULL;
}
