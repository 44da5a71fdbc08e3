/*
 * The Internet checksum's one's-complement sum (RFC 1071) over a byte range:
 * the data plane computes one per TCP segment it cuts from a TUN super-packet
 * or merges before a TUN write (src/wire/tcp-offload.ts). A C loop is several
 * times faster than the TypeScript one; TypeScript stays the reference and the
 * fallback, and the two are compared in src/io/native-csum.test.ts.
 */
#include "common.h"
#include <string.h>

/* Folded 16-bit sum of big-endian words of p[0, n), plus `initial`. */
static uint32_t ones_sum(const uint8_t *p, size_t n, uint32_t initial) {
  uint64_t sum = initial;
  /* 32-bit big-endian words into a 64-bit accumulator: no carry is lost
   * below 2^32 words, and w = hi * 2^16 + lo is congruent to hi + lo mod 0xFFFF. */
  while (n >= 4) {
    sum += ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    sum += ((uint32_t)p[0] << 8) | p[1];
    p += 2;
    n -= 2;
  }
  if (n) sum += (uint32_t)p[0] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint32_t)sum;
}

/* onesSum(data, start, end, initial) → folded sum, not inverted. */
napi_value tp_ones_sum(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *data;
  size_t len;
  uint32_t start, end, initial;
  if (argc < 4 || tp_get_u8(env, argv[0], &data, &len) != 0 || napi_get_value_uint32(env, argv[1], &start) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &end) != napi_ok || napi_get_value_uint32(env, argv[3], &initial) != napi_ok ||
      start > end || end > len || initial > 0xffff) {
    tp_throw_usage(env, "onesSum(data: Uint8Array, start, end <= data.length, initial <= 0xFFFF)");
    return NULL;
  }
  napi_value out;
  napi_create_uint32(env, ones_sum(data + start, end - start, initial), &out);
  return out;
}
