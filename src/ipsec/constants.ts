/**
 * ISAKMP / IKEv1 numbers: RFC 2408 (payload and exchange types, notify
 * messages), RFC 2407 (the IPsec DOI: situation, protocol and transform IDs,
 * ID types, SA attributes), RFC 2409 Appendix A (Phase 1 attributes),
 * RFC 3947 and draft-ietf-ipsec-nat-t-ike-02/03 (NAT-D, NAT-OA, encapsulation
 * modes), RFC 3706 (DPD notify types).
 */

/** ISAKMP payload types (RFC 2408 §3.1; RFC 3947 §3.2, §5.2). */
export const PAYLOAD = {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CERT_REQ: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  NOTIFY: 11,
  DELETE: 12,
  VENDOR_ID: 13,
  /** RFC 3947 NAT-D. */
  NAT_D: 20,
  /** RFC 3947 NAT-OA. */
  NAT_OA: 21,
  /** draft-ietf-ipsec-nat-t-ike-02/03 NAT-D (private-use number; Windows XP/2003, older macOS). */
  NAT_D_DRAFT: 130,
  /** draft-ietf-ipsec-nat-t-ike-02/03 NAT-OA. */
  NAT_OA_DRAFT: 131,
} as const;

/** ISAKMP exchange types (RFC 2408 §3.1, RFC 2409 §9 for Quick Mode). */
export const EXCHANGE = {
  BASE: 1,
  /** Main Mode. */
  IDENTITY_PROTECTION: 2,
  AUTHENTICATION_ONLY: 3,
  /** Aggressive Mode: refused (the PSK hash goes out in the clear to anyone who asks). */
  AGGRESSIVE: 4,
  INFORMATIONAL: 5,
  QUICK_MODE: 32,
  NEW_GROUP_MODE: 33,
} as const;

/** ISAKMP header flags (RFC 2408 §3.1). */
export const FLAG = {
  ENCRYPTION: 0x01,
  COMMIT: 0x02,
  AUTHENTICATION_ONLY: 0x04,
} as const;

/** The only DOI we speak: IPsec (RFC 2407 §4.2). */
export const DOI_IPSEC = 1;
/** RFC 2407 §4.2.1: SIT_IDENTITY_ONLY, the one situation without extra fields. */
export const SIT_IDENTITY_ONLY = 1;

/** Protocol IDs in proposals, notifications and deletes (RFC 2407 §4.4.1). */
export const PROTO = {
  ISAKMP: 1,
  IPSEC_AH: 2,
  IPSEC_ESP: 3,
  IPCOMP: 4,
} as const;

/** Transform ID of an ISAKMP (Phase 1) transform (RFC 2407 §4.4.2). */
export const KEY_IKE = 1;

/** ESP transform IDs (RFC 2407 §4.4.4; IANA "IPsec ESP Transform Identifiers"). */
export const ESP_TRANSFORM = {
  DES: 2,
  '3DES': 3,
  NULL: 11,
  AES_CBC: 12,
  AES_CTR: 13,
  AES_CCM_8: 14,
  AES_CCM_12: 15,
  AES_CCM_16: 16,
  AES_GCM_8: 18,
  AES_GCM_12: 19,
  AES_GCM_16: 20,
} as const;

/** Phase 1 SA attribute types (RFC 2409 Appendix A). */
export const P1_ATTR = {
  ENCRYPTION_ALGORITHM: 1,
  HASH_ALGORITHM: 2,
  AUTHENTICATION_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  KEY_LENGTH: 14,
} as const;

/** Phase 1 encryption algorithm values (RFC 2409 Appendix A; 7 = AES-CBC from RFC 3602 / IANA). */
export const P1_ENCR = {
  DES_CBC: 1,
  '3DES_CBC': 5,
  AES_CBC: 7,
} as const;

/** Phase 1 hash algorithm values (RFC 2409 Appendix A; 4-6 from IANA, RFC 4868 era). */
export const P1_HASH = {
  MD5: 1,
  SHA1: 2,
  SHA2_256: 4,
  SHA2_384: 5,
  SHA2_512: 6,
} as const;

/** Phase 1 authentication method values (RFC 2409 Appendix A). */
export const P1_AUTH = {
  PRE_SHARED_KEY: 1,
  RSA_SIG: 3,
  /** XAUTH InitPreShared (draft-ietf-ipsec-isakmp-xauth): PSK plus user/password, which we do not offer. */
  XAUTH_INIT_PSK: 65001,
} as const;

/** Life type values for Phase 1 and Phase 2 (RFC 2409 Appendix A, RFC 2407 §4.5). */
export const LIFE_TYPE = {
  SECONDS: 1,
  KILOBYTES: 2,
} as const;

/** Phase 2 (IPsec DOI) SA attribute types (RFC 2407 §4.5). */
export const P2_ATTR = {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
} as const;

/** Encapsulation modes (RFC 2407 §4.5; RFC 3947 §5.1; draft-ietf-ipsec-nat-t-ike-02/03 61443/61444). */
export const ENCAPSULATION = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_TUNNEL: 3,
  UDP_TRANSPORT: 4,
  /** draft-ietf-ipsec-nat-t-ike-02/03 UDP-Encapsulated-Tunnel (Windows, older macOS). */
  UDP_TUNNEL_DRAFT: 61443,
  /** draft-ietf-ipsec-nat-t-ike-02/03 UDP-Encapsulated-Transport. */
  UDP_TRANSPORT_DRAFT: 61444,
} as const;

/** Phase 2 authentication algorithm values (RFC 2407 §4.5; 5-7 from RFC 4868 / IANA). */
export const P2_AUTH = {
  HMAC_MD5: 1,
  HMAC_SHA1: 2,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
} as const;

/** ID payload types (RFC 2407 §4.6.2.1). */
export const ID_TYPE = {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;

/**
 * Notify message types: errors 1-30 (RFC 2408 §3.14.1), status 16384
 * CONNECTED, IPsec DOI status 24576-24578 (RFC 2407 §4.6.3), DPD 36136/36137
 * (RFC 3706 §5).
 */
export const NOTIFY = {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384,
  RESPONDER_LIFETIME: 24576,
  REPLAY_STATUS: 24577,
  INITIAL_CONTACT: 24578,
  R_U_THERE: 36136,
  R_U_THERE_ACK: 36137,
} as const;

/** Diffie-Hellman group numbers we implement (RFC 2409 §6, RFC 3526, RFC 5903). */
export const DH_GROUP = {
  MODP_1024: 2,
  MODP_1536: 5,
  MODP_2048: 14,
  ECP_256: 19,
  ECP_384: 20,
} as const;
