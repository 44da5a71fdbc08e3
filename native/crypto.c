/*
 * RC4 and SHA-1 for the MPPE data path, from the OpenSSL that Node itself
 * carries.
 *
 * Why: MPPE (RFC 3078) is RC4 plus, in stateless mode, a SHA-1 key change
 * before every packet. In TypeScript that is ~7 us per 1400-byte packet and
 * the largest share of the PPTP data path's CPU (docs/performance.md).
 * OpenSSL 3 keeps RC4 out of the EVP interface unless the legacy provider is
 * loaded, but the low-level functions RC4_set_key/RC4/SHA1 are still in
 * libcrypto, and the node executable exports them (it is linked with its
 * symbols visible to addons). They are looked up at run time with dlsym, so
 * the addon still loads on a Node built without them; `cryptoAvailable`
 * tells TypeScript, which then keeps its own implementation.
 *
 * No protocol logic here: key schedule, keystream XOR and one hash. The
 * cipher state lives in a Uint8Array owned by JavaScript (TP_RC4_STATE bytes,
 * at least sizeof(RC4_KEY) on every architecture: RC4_INT is an unsigned int
 * or an unsigned char).
 */
#define _GNU_SOURCE
#include "common.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void (*rc4_set_key_fn)(void *key, int len, const unsigned char *data);
typedef void (*rc4_fn)(void *key, size_t len, const unsigned char *in, unsigned char *out);
typedef unsigned char *(*sha1_fn)(const unsigned char *d, size_t n, unsigned char *md);

static rc4_set_key_fn p_rc4_set_key;
static rc4_fn p_rc4;
static sha1_fn p_sha1;
static int looked_up;

int tp_crypto_available(void) {
  if (!looked_up) {
    looked_up = 1;
    p_rc4_set_key = (rc4_set_key_fn)dlsym(RTLD_DEFAULT, "RC4_set_key");
    p_rc4 = (rc4_fn)dlsym(RTLD_DEFAULT, "RC4");
    p_sha1 = (sha1_fn)dlsym(RTLD_DEFAULT, "SHA1");
  }
  return p_rc4_set_key != NULL && p_rc4 != NULL && p_sha1 != NULL;
}

/* The state array: big enough and 4-byte aligned (RC4_KEY holds ints). */
static void *state_of(napi_env env, napi_value v) {
  uint8_t *p;
  size_t n;
  if (tp_get_u8(env, v, &p, &n) != 0 || n < TP_RC4_STATE || ((uintptr_t)p & 3u) != 0) {
    tp_throw_usage(env, "rc4 state: expected a 4-byte aligned Uint8Array of rc4StateBytes octets");
    return NULL;
  }
  return p;
}

/* A byte range [off, off + len) inside a Uint8Array argument. */
static uint8_t *range_of(napi_env env, napi_value arr, napi_value off_v, uint32_t len, const char *what) {
  uint8_t *p;
  size_t n;
  uint32_t off;
  if (tp_get_u8(env, arr, &p, &n) != 0 || napi_get_value_uint32(env, off_v, &off) != napi_ok ||
      (size_t)off + len > n) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: offset/length outside the Uint8Array", what);
    tp_throw_usage(env, msg);
    return NULL;
  }
  return p + off;
}

/* rc4SetKey(state, key, keyLength): the RC4 key schedule. */
napi_value tp_rc4_set_key(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !tp_crypto_available()) {
    tp_throw_usage(env, "rc4SetKey(state, key, keyLength)");
    return NULL;
  }
  void *st = state_of(env, argv[0]);
  if (st == NULL) return NULL;
  uint8_t *key;
  size_t n;
  uint32_t len;
  if (tp_get_u8(env, argv[1], &key, &n) != 0 || napi_get_value_uint32(env, argv[2], &len) != napi_ok ||
      len < 1 || len > 256 || len > n) {
    tp_throw_usage(env, "rc4SetKey: key length must be 1-256 octets within the key array");
    return NULL;
  }
  p_rc4_set_key(st, (int)len, key);
  return NULL;
}

/* rc4(state, src, srcOffset, dst, dstOffset, length): dst = src XOR keystream. */
napi_value tp_rc4_process(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t len;
  if (argc < 6 || !tp_crypto_available() || napi_get_value_uint32(env, argv[5], &len) != napi_ok) {
    tp_throw_usage(env, "rc4(state, src, srcOffset, dst, dstOffset, length)");
    return NULL;
  }
  void *st = state_of(env, argv[0]);
  if (st == NULL) return NULL;
  uint8_t *src = range_of(env, argv[1], argv[2], len, "rc4 source");
  if (src == NULL) return NULL;
  uint8_t *dst = range_of(env, argv[3], argv[4], len, "rc4 destination");
  if (dst == NULL) return NULL;
  /* OpenSSL's RC4 allows in == out; partial overlap is the caller's contract
   * (dst at or before src), as for the TypeScript implementation. */
  if (dst != src && dst < src + len && src < dst + len && dst > src) {
    tp_throw_usage(env, "rc4: destination overlaps the source after its start");
    return NULL;
  }
  if (dst != src && dst < src && dst + len > src) {
    /* Overlap with dst before src: RC4 reads ahead in words, so go through a copy. */
    uint8_t tmp[2048];
    uint32_t done = 0;
    while (done < len) {
      uint32_t k = len - done < sizeof tmp ? len - done : (uint32_t)sizeof tmp;
      memcpy(tmp, src + done, k);
      p_rc4(st, k, tmp, dst + done);
      done += k;
    }
    return NULL;
  }
  p_rc4(st, len, src, dst);
  return NULL;
}

/* sha1(data, length, out, outOffset): out[outOffset, +20) = SHA-1(data[0, length)). */
napi_value tp_sha1(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *data;
  size_t n;
  uint32_t len;
  if (argc < 4 || !tp_crypto_available() || tp_get_u8(env, argv[0], &data, &n) != 0 ||
      napi_get_value_uint32(env, argv[1], &len) != napi_ok || len > n) {
    tp_throw_usage(env, "sha1(data, length, out, outOffset)");
    return NULL;
  }
  uint8_t *out = range_of(env, argv[2], argv[3], 20, "sha1 output");
  if (out == NULL) return NULL;
  p_sha1(data, len, out);
  return NULL;
}

/*
 * rc4KeyChange(state, shaInput, shaLength, sessionKey, keyLength, saltLength):
 * the MPPE key change of RFC 3078 section 7.3 in one call (stateless MPPE
 * does it before every packet; four calls across N-API cost about as much as
 * the hashing). With n = keyLength:
 *   interim = SHA-1(shaInput[0, shaLength))[0, n)
 *   sessionKey[0, n) = RC4(key = interim, data = interim)
 *   sessionKey[0, saltLength) = D1 26 9E (the 40/56-bit salt, RFC 3079 3.1)
 *   state = the RC4 key schedule of sessionKey[0, n)
 * The caller keeps shaInput = StartKey | pad1 | SessionKey | pad2 current.
 * src/ppp/mppe/mppe.ts has the same steps in TypeScript (the reference).
 */
napi_value tp_rc4_key_change(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *sha_in, *key;
  size_t sha_n, key_n;
  uint32_t sha_len, n, salt;
  if (argc < 6 || !tp_crypto_available() || tp_get_u8(env, argv[1], &sha_in, &sha_n) != 0 ||
      napi_get_value_uint32(env, argv[2], &sha_len) != napi_ok || sha_len > sha_n ||
      tp_get_u8(env, argv[3], &key, &key_n) != 0 || napi_get_value_uint32(env, argv[4], &n) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &salt) != napi_ok || n < 1 || n > 20 || n > key_n || salt > 3 ||
      salt > n) {
    tp_throw_usage(env, "rc4KeyChange(state, shaInput, shaLength, sessionKey, keyLength 1-20, saltLength 0-3)");
    return NULL;
  }
  void *st = state_of(env, argv[0]);
  if (st == NULL) return NULL;
  static const uint8_t salt_bytes[3] = {0xd1, 0x26, 0x9e};
  uint8_t digest[20];
  p_sha1(sha_in, sha_len, digest);
  p_rc4_set_key(st, (int)n, digest);
  p_rc4(st, n, digest, key);
  memcpy(key, salt_bytes, salt);
  p_rc4_set_key(st, (int)n, key);
  return NULL;
}
