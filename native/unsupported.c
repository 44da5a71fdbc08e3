/*
 * Built instead of the real addon on systems other than Linux: raw GRE
 * sockets and /dev/net/tun are Linux interfaces. Loading it throws, and
 * src/io/native.ts reports that tunppp's data plane needs Linux.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

NAPI_MODULE_INIT() {
  (void)exports;
  napi_throw_error(env, "ERR_TUNPPP_UNSUPPORTED_OS", "tunppp's native I/O (raw GRE socket, TUN) needs Linux");
  return NULL;
}
