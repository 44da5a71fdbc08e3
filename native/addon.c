/*
 * Module registration. The exported functions are the whole native surface;
 * src/io/native.ts declares their types and is the only importer.
 */
#include "common.h"

static napi_value tp_constants(napi_env env) {
  napi_value c;
  napi_create_object(env, &c);
  tp_set_u32(env, c, "META_FIELDS", TP_META);
  tp_set_u32(env, c, "MAX_SLOTS", TP_MAX_SLOTS);
  tp_set_u32(env, c, "FLAG_TRUNCATED", TP_FLAG_TRUNCATED);
  tp_set_u32(env, c, "PORT_SHIFT", TP_PORT_SHIFT);
  tp_set_u32(env, c, "ERR_QUOTE_BYTES", TP_ERR_QUOTE);
  tp_set_u32(env, c, "RC4_STATE_BYTES", TP_RC4_STATE);
  tp_set_u32(env, c, "CRYPTO_AVAILABLE", (uint32_t)tp_crypto_available());
  return c;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"greOpen", NULL, tp_gre_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"greSend", NULL, tp_gre_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pathMtu", NULL, tp_gre_path_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpOpen", NULL, tp_udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpSend", NULL, tp_udp_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpPathMtu", NULL, tp_udp_path_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tunOpen", NULL, tp_tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tunWrite", NULL, tp_tun_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifConfigure", NULL, tp_if_configure, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rc4SetKey", NULL, tp_rc4_set_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rc4", NULL, tp_rc4_process, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha1", NULL, tp_sha1, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rc4KeyChange", NULL, tp_rc4_key_change, NULL, NULL, NULL, napi_enumerable, NULL},
      {"onesSum", NULL, tp_ones_sum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, tp_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"constants", NULL, NULL, NULL, NULL, tp_constants(env), napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
