/*
 * Errors, argument checks and network-namespace switching.
 *
 * Errors thrown to JavaScript are plain Error objects whose `code` is the errno
 * name ('EPERM', 'ENOENT'...), with `errno` (positive number) and `syscall`.
 * src/io/errors.ts turns them into VpnError subclasses with a hint.
 */
#define _GNU_SOURCE
#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

napi_value tp_make_errno_error(napi_env env, int err, const char *syscall) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, text, e, num, sc;
  const char *name = uv_err_name(-err);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &e);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, e, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  return e;
}

napi_status tp_throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  char what[192];
  if (detail && *detail) snprintf(what, sizeof what, "%s %s", syscall, detail);
  else snprintf(what, sizeof what, "%s", syscall);
  napi_value e = tp_make_errno_error(env, err, what);
  /* keep `syscall` the bare name; the detail (path, ifname) is in the message */
  napi_value sc;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  return napi_throw(env, e);
}

/* Misuse of the addon by our own TypeScript: a TypeError with code ERR_TUNPPP_USAGE. */
napi_status tp_throw_usage(napi_env env, const char *msg) {
  return napi_throw_type_error(env, "ERR_TUNPPP_USAGE", msg);
}

int tp_get_u8(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return -1;
  napi_typedarray_type t;
  size_t n;
  void *p;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, NULL, NULL) != napi_ok) return -1;
  if (t != napi_uint8_array) return -1;
  *data = p;
  *len = n;
  return 0;
}

int tp_get_u32arr(napi_env env, napi_value v, uint32_t **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return -1;
  napi_typedarray_type t;
  size_t n;
  void *p;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, NULL, NULL) != napi_ok) return -1;
  if (t != napi_uint32_array) return -1;
  *data = p;
  *len = n;
  return 0;
}

int tp_arg_u32(napi_env env, napi_value v, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return -1;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) return -1;
  *out = (uint32_t)d;
  return 0;
}

/* Optional u32 property: absent/undefined leaves *present = 0; wrong type is an error. */
int tp_prop_u32(napi_env env, napi_value obj, const char *name, uint32_t *out, int *present) {
  napi_value v;
  napi_valuetype t;
  *present = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return -1;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined || t == napi_null) return 0;
  if (tp_arg_u32(env, v, out) != 0) return -1;
  *present = 1;
  return 0;
}

int tp_prop_bool(napi_env env, napi_value obj, const char *name, int *out) {
  napi_value v;
  napi_valuetype t;
  *out = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return -1;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined || t == napi_null) return 0;
  if (t != napi_boolean) return -1;
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return -1;
  *out = b ? 1 : 0;
  return 0;
}

/* Optional string property copied into buf (NUL-terminated); too long is an error. */
int tp_prop_str(napi_env env, napi_value obj, const char *name, char *buf, size_t cap, int *present) {
  napi_value v;
  napi_valuetype t;
  *present = 0;
  buf[0] = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return -1;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined || t == napi_null) return 0;
  if (t != napi_string) return -1;
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return -1;
  if (n + 1 > cap) return -1;
  if (napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) return -1;
  *present = 1;
  return 0;
}

void tp_set_u32(napi_env env, napi_value obj, const char *name, uint32_t v) {
  napi_value n;
  napi_create_uint32(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

void tp_set_str(napi_env env, napi_value obj, const char *name, const char *s) {
  napi_value n;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &n);
  napi_set_named_property(env, obj, name, n);
}

/*
 * Moves the calling thread into the network namespace at `path` (a file under
 * /var/run/netns or /proc/PID/ns/net). A socket or TUN device created there
 * stays there after the thread returns. Only this thread moves; libuv's
 * threadpool and V8's threads are untouched. Needs CAP_SYS_ADMIN.
 * Returns 0, or -1 with a JS exception pending.
 */
int tp_netns_enter(napi_env env, const char *path, tp_netns *g) {
  g->self_fd = -1;
  g->active = 0;
  if (path == NULL || path[0] == 0) return 0;
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    tp_throw_errno(env, errno, "open", "/proc/thread-self/ns/net");
    return -1;
  }
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    tp_throw_errno(env, e, "open", path);
    return -1;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    close(self);
    tp_throw_errno(env, e, "setns", path);
    return -1;
  }
  close(target);
  g->self_fd = self;
  g->active = 1;
  return 0;
}

/* Returns the thread to its namespace. Failing here would leave the main
 * thread in a foreign namespace for every later socket, so it is fatal. */
void tp_netns_leave(tp_netns *g) {
  if (!g->active) return;
  if (setns(g->self_fd, CLONE_NEWNET) != 0)
    napi_fatal_error("tunppp", NAPI_AUTO_LENGTH, "setns back to the original network namespace failed",
                     NAPI_AUTO_LENGTH);
  close(g->self_fd);
  g->self_fd = -1;
  g->active = 0;
}
