/**
 * IPv4 text ↔ u32: the one parser lives in src/config/ipv4.ts. This name is
 * kept for test/interop/pptp-ppp-driver.ts until it imports that directly.
 */
export { formatIpv4, parseIpv4 } from '../config/ipv4.js';
