/**
 * The RFC 5176 listener: Disconnect-Requests from the configured RADIUS
 * servers close the sessions they name; CoA-Requests change them (coa.ts). Replay protection (§6.3) by Event-Timestamp and a window of answers
 * already sent (src/radius/dae-replay.ts).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Clock } from '../../io/clock.js';
import type { Logger } from '../../log/logger.js';
import { DaeReplayWindow, eventTimestampS } from '../../radius/dae-replay.js';
import {
  ATTR,
  ERROR_CAUSE,
  RADIUS_CODE,
  attrIpv4,
  attrText,
  encodeRadiusPacket,
  findAttr,
  intAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signResponse,
  verifyRequest,
  type RadiusAttribute,
} from '../../radius/codec.js';
import type { RadiusAccounting } from './accounting.js';
import { answerCoa } from './coa.js';
import type { CoaNas } from '../../radius/coa.js';
import type { RadiusEndpoint } from './setup.js';
import { sameAddress } from './transport.js';

/** What became of Disconnect-Requests and CoA-Requests (RFC 5176) on the listener. */
export interface DisconnectCounters {
  /** Disconnect-ACK sent: the named sessions were told to close. */
  ack: number;
  /** Disconnect-NAK, Error-Cause 503: no session matched. */
  nakNotFound: number;
  /** Disconnect-NAK, Error-Cause 402: no Acct-Session-Id, User-Name or Framed-IP-Address, or no Event-Timestamp while one is required. */
  nakMissingAttribute: number;
  /** Dropped: Event-Timestamp outside radius.disconnect.windowS of our clock (a replay or a skewed clock). */
  staleTimestamp: number;
  /** Seen before within the window (a retransmission or a replay): the first answer sent again, nothing done twice. */
  duplicate: number;
  /** CoA-ACK sent: the named sessions took the changes (coa.ts). */
  coaAck: number;
  /** CoA-NAK sent, with the Error-Cause of src/radius/coa.ts (nothing changed). */
  coaNak: number;
  /** Dropped: the source address is no configured server. */
  unknownClient: number;
  /** Dropped: not a RADIUS packet, or neither Disconnect- nor CoA-Request. */
  malformed: number;
  /** Dropped: Request Authenticator or Message-Authenticator wrong for the server's secret. */
  badAuthenticator: number;
  /** Sessions closed by Disconnect-Requests. */
  sessionsClosed: number;
}

/** The Disconnect-Request listener of one server process. */
export class DaeListener {
  private socket: Socket | undefined;
  private readonly replay: DaeReplayWindow;
  /** Where the listener is bound. */
  port: number | undefined;

  constructor(
    private readonly opts: { windowS: number; requireEventTimestamp: boolean },
    private readonly endpoints: readonly RadiusEndpoint[],
    private readonly sessions: RadiusAccounting,
    /** Filled in here; read by the metrics. */
    private readonly counts: DisconnectCounters,
    private readonly clock: Clock,
    /** Wall-clock seconds for Event-Timestamp. */
    private readonly wallClockS: () => number,
    private readonly log: Logger,
    /** Our NAS-Identifier and NAS-IP-Address: a CoA-Request naming another NAS is refused (403). */
    private readonly nas: CoaNas,
  ) {
    this.replay = new DaeReplayWindow({ windowS: opts.windowS, requireEventTimestamp: opts.requireEventTimestamp });
  }

  /** Binds the listener on `address:port` (0: any free port). */
  async listen(address: string, port: number): Promise<void> {
    const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => this.onRequest(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo));
    sock.on('error', (err) => this.log.warn('radius-dae', `Disconnect listener error: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.unref();
    this.socket = sock;
    this.port = sock.address().port;
    this.log.info('radius-dae', `RADIUS Disconnect-Request listener on ${address}:${this.port}`);
  }

  /** Closes the socket. */
  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  /**
   * RFC 5176 §3: a Disconnect-Request from a configured server, signed with
   * its secret, naming a session by Acct-Session-Id, User-Name or
   * Framed-IP-Address. ACK after the links are told to close; NAK 503 when
   * nothing matches. CoA-Request gets CoA-NAK 405 (no CoA support).
   * Replays (§6.3): an Event-Timestamp outside the window is dropped, a
   * missing one NAKed with 402 when required, and a request seen before within
   * the window gets its first answer again without acting twice.
   */
  private onRequest(bytes: Uint8Array, rinfo: RemoteInfo): void {
    const server = this.endpoints.find((e) => sameAddress(e.address, rinfo.address));
    const counts = this.counts;
    if (!server) {
      counts.unknownClient++;
      this.log.warn('radius-dae', `Disconnect-Request from unknown client ${rinfo.address} dropped`);
      return;
    }
    const r = parseRadiusPacket(bytes);
    if (!r.ok || (r.value.code !== RADIUS_CODE.DISCONNECT_REQUEST && r.value.code !== RADIUS_CODE.COA_REQUEST)) {
      counts.malformed++;
      return;
    }
    const req = r.value;
    const check = verifyRequest(bytes, server.secret);
    if (!check.ok) {
      counts.badAuthenticator++;
      this.log.warn('radius-dae', `Disconnect-Request from ${rinfo.address} dropped: ${check.reason}`);
      return;
    }
    const key = { client: `${rinfo.address}:${rinfo.port}`, identifier: req.identifier, authenticator: req.authenticator };
    const nowS = this.wallClockS();
    const seen = this.replay.check(key, eventTimestampS(findAttr(req, ATTR.EVENT_TIMESTAMP)), nowS);
    if (seen.kind === 'stale') {
      counts.staleTimestamp++;
      this.log.warn('radius-dae', `request from ${rinfo.address} dropped: Event-Timestamp ${seen.skewS > 0 ? '+' : ''}${Math.round(seen.skewS)} s from our clock, outside radius.disconnect.windowS (${this.opts.windowS} s): a replay, or unsynchronised clocks`);
      return;
    }
    if (seen.kind === 'duplicate') {
      counts.duplicate++;
      if (seen.reply) this.socket?.send(seen.reply, rinfo.port, rinfo.address);
      return;
    }
    // RFC 5176 §3.1: Proxy-State attributes are echoed in the reply, in order.
    const proxyState = req.attributes.filter((a) => a.type === ATTR.PROXY_STATE);
    const reply = (code: number, attrs: RadiusAttribute[]): void => {
      const out = encodeRadiusPacket({ code, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: [...attrs, ...proxyState, messageAuthenticatorPlaceholder()] });
      signResponse(out, req.authenticator, server.secret);
      this.replay.remember(key, out, nowS);
      this.socket?.send(out, rinfo.port, rinfo.address);
    };
    if (seen.kind === 'missing-timestamp') {
      counts.nakMissingAttribute++;
      this.log.warn('radius-dae', `request from ${rinfo.address} refused: no Event-Timestamp (required by radius.disconnect.requireEventTimestamp; radclient: add Event-Timestamp = <unix time>)`);
      reply(req.code === RADIUS_CODE.COA_REQUEST ? RADIUS_CODE.COA_NAK : RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.MISSING_ATTRIBUTE)]);
      return;
    }
    if (req.code === RADIUS_CODE.COA_REQUEST) {
      const a = answerCoa(req, this.sessions.tracked.values(), this.nas, this.clock.now(), rinfo.address, this.log);
      if (a.code === RADIUS_CODE.COA_ACK) counts.coaAck++;
      else counts.coaNak++;
      reply(a.code, a.attributes);
      return;
    }
    const sid = findAttr(req, ATTR.ACCT_SESSION_ID);
    const user = findAttr(req, ATTR.USER_NAME);
    const ip = attrIpv4(findAttr(req, ATTR.FRAMED_IP_ADDRESS));
    if (sid === undefined && user === undefined && ip === undefined) {
      counts.nakMissingAttribute++;
      reply(RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.MISSING_ATTRIBUTE)]);
      return;
    }
    const matches = [...this.sessions.tracked.values()].filter(
      (t) =>
        (sid === undefined || attrText(sid) === t.sessionId) &&
        (user === undefined || attrText(user) === t.link.username) &&
        (ip === undefined || ip === t.link.peerIp),
    );
    if (matches.length === 0) {
      counts.nakNotFound++;
      reply(RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND)]);
      return;
    }
    const now = this.clock.now();
    for (const t of matches) {
      this.log.info('radius-dae', `Disconnect-Request from ${rinfo.address}: closing session ${t.sessionId} of ${t.link.username ?? '?'}`);
      t.link.close('Disconnect-Request (admin reset)', now);
      counts.sessionsClosed++;
    }
    counts.ack++;
    reply(RADIUS_CODE.DISCONNECT_ACK, []);
  }
}
