/**
 * One RTMP or RTMPS publish connection: the socket, TLS and timeouts around
 * RtmpPublishProtocol. `open()` resolves once the server said NetStream.Publish.Start; from
 * then on the owner writes media and watches `writableLength` for backpressure.
 */
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { AddressRefusedError, type AddressPolicy } from '../../../network-policy/src/address-policy.js';
import {
  RestreamError,
  TargetAddressRefusedError,
  TargetRejectedError,
  TargetTimeoutError,
  TargetTlsError,
  TargetUnreachableError,
} from './restream-errors.js';
import { RtmpPublishProtocol } from './rtmp-publish-protocol.js';
import { parseRtmpTarget, type RtmpEndpoint } from './rtmp-url.js';

export const DEFAULT_RTMP_TIMEOUT_MS = 10_000;
/** How long close() waits for a clean end (unpublish sent, socket flushed) before cutting. */
export const DEFAULT_CLOSE_GRACE_MS = 2_000;
const KEEPALIVE_MS = 10_000;

export interface RtmpTlsOptions {
  /** Certificates to trust instead of Node's CA list (PEM). For tests and private CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** `false` accepts any certificate: tests only. Default true. */
  rejectUnauthorized?: boolean;
}

export interface RtmpPublishSessionOptions {
  /** rtmp:// or rtmps:// base URL, e.g. rtmp://live.twitch.tv/app. */
  url: string;
  streamKey: string;
  /**
   * For each step: TCP/TLS + RTMP handshake + connect, then createStream + publish; once
   * publishing, for the server to finish a message it started.
   */
  timeoutMs?: number;
  tls?: RtmpTlsOptions;
  /** Resolves the target's host once and checks every address before anything connects. */
  addressPolicy: AddressPolicy;
  signal?: AbortSignal;
}

/** A lookup for net/tls.connect that answers with addresses resolved and checked before. */
function pinnedLookup(addresses: string[]): net.LookupFunction {
  const entries: LookupAddress[] = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  };
}

/** Node's TLS and OpenSSL error codes: certificate, host name and handshake failures. */
function isTlsError(error: NodeJS.ErrnoException | undefined): boolean {
  const code = error?.code ?? '';
  return /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/.test(code) || /SSL routines|wrong version number/i.test(error?.message ?? '');
}

export class RtmpPublishSession {
  private readonly closeListeners: Array<(error: RestreamError) => void> = [];
  private handed = 0;
  private tcpConnected = false;
  private socketError: NodeJS.ErrnoException | undefined;
  /** Set by destroy(error): the reason reported instead of the socket's. */
  private reason: RestreamError | undefined;
  /** close() or destroy() without a reason: the owner knows, nobody is told. */
  private quiet = false;
  private published = false;
  /** Runs while the server has left a chunk or message unfinished, once publishing. */
  private unfinishedInputTimer: NodeJS.Timeout | undefined;
  /** Set when the connection ended in a way the owner must hear about. */
  private closedWith: RestreamError | undefined;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly endpoint: RtmpEndpoint,
    private readonly protocol: RtmpPublishProtocol,
    private readonly timeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects and publishes; rejects with a RestreamError whose message has no stream key. */
  static open(options: RtmpPublishSessionOptions): Promise<RtmpPublishSession> {
    let endpoint: RtmpEndpoint;
    try {
      endpoint = parseRtmpTarget(options.url, options.streamKey);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_RTMP_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let session: RtmpPublishSession | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = (step: string) => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new TargetTimeoutError(`${endpoint.label}: no answer to ${step} within ${timeoutMs} ms`)), timeoutMs);
      };
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: RestreamError) => {
        if (settled) return;
        finish();
        session?.destroy();
        reject(error);
      };
      const onAbort = () => fail(new TargetUnreachableError(`${endpoint.label}: connection attempt cancelled`));

      const connect = (addresses: string[]) => {
        // The socket reaches the checked addresses under the host's name (TLS checks the
        // certificate against it): Node's connect asks this lookup, not the resolver again.
        const lookup = pinnedLookup(addresses);
        const socket = endpoint.secure
          ? tls.connect({
              host: endpoint.host,
              port: endpoint.port,
              lookup,
              // SNI must be a host name; Node warns about (and servers ignore) an IP address here.
              servername: net.isIP(endpoint.host) ? undefined : endpoint.host,
              ca: options.tls?.ca,
              rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
            })
          : net.connect({ host: endpoint.host, port: endpoint.port, lookup });
        const protocol = new RtmpPublishProtocol(endpoint, {
          send: (bytes) => session?.write(bytes),
          connected: () => arm('createStream/publish'),
          publishing: () => {
            if (settled || !session) return;
            finish();
            session.published = true;
            resolve(session);
          },
          failed: (error) => {
            if (!settled) fail(error);
            else session?.destroy(error);
          },
        });
        session = new RtmpPublishSession(socket, endpoint, protocol, timeoutMs);
        session.listen(endpoint.secure ? 'secureConnect' : 'connect', (error) => fail(error));
      };
      options.addressPolicy.resolve(endpoint.host).then(
        (addresses) => {
          if (!settled) connect(addresses);
        },
        (error: unknown) => {
          fail(
            error instanceof AddressRefusedError
              ? new TargetAddressRefusedError(`${endpoint.label}: ${error.message}, which this origin does not push to (ALLOW_PRIVATE_TARGETS)`)
              : new TargetUnreachableError(`${endpoint.label}: ${error instanceof Error ? error.message : String(error)}`),
          );
        },
      );
      arm('connect');
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort);
    });
  }

  /** The target without its stream key, for logs and status. */
  get label(): string {
    return this.endpoint.label;
  }

  /** Bytes handed to the socket and not yet taken by the kernel. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /** Bytes the kernel took (sent or in its send buffer). */
  get bytesSent(): number {
    return this.handed - this.socket.writableLength;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Audio (8), video (9) or data (18); call between cork() and uncork() to batch. */
  sendMedia(type: number, timestampMs: number, body: Uint8Array): void {
    this.protocol.sendMedia(type, timestampMs, body);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  onDrain(listener: () => void): void {
    this.socket.on('drain', listener);
  }

  /** The connection ended without close(): the server left, the network broke, or destroy(error). */
  onClose(listener: (error: RestreamError) => void): void {
    // A server may hang up in the same breath as Publish.Start, before the owner listens.
    if (this.closedWith) queueMicrotask(() => listener(this.closedWith!));
    else this.closeListeners.push(listener);
  }

  /** Unpublishes, flushes and ends; cuts the connection if that takes longer than `graceMs`. */
  async close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    this.quiet = true;
    if (!this.socket.destroyed) {
      this.protocol.unpublish();
      this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), graceMs);
      await this.closed;
      clearTimeout(timer);
    }
  }

  /** Cuts the connection now; with an error, onClose listeners are told. */
  destroy(error?: RestreamError): void {
    if (error) this.reason ??= error;
    else this.quiet = true;
    this.socket.destroy();
  }

  private write(bytes: Uint8Array): void {
    if (this.socket.destroyed) return;
    this.handed += bytes.length;
    this.socket.write(bytes);
  }

  private listen(connectEvent: string, failOpen: (error: RestreamError) => void): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.once(connectEvent, () => {
      this.tcpConnected = true;
      socket.setKeepAlive(true, KEEPALIVE_MS);
      this.protocol.start();
    });
    socket.on('data', (data: Buffer) => {
      this.protocol.receive(data);
      this.watchUnfinishedInput();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.socketError ??= error;
    });
    socket.once('close', () => {
      clearTimeout(this.unfinishedInputTimer);
      this.protocol.abandon();
      const error = this.reason ?? this.closeError();
      if (!this.published) {
        failOpen(error);
      } else if (!this.quiet || this.reason) {
        this.closedWith = error;
        for (const listener of this.closeListeners) listener(error);
      }
    });
  }

  /**
   * Once publishing, nothing of the server's is awaited, so a chunk or message it leaves
   * unfinished for the timeout is a server holding our memory or a broken one: cut, reported
   * as a timeout (and retried). Before that, open()'s step timeouts cover it.
   */
  private watchUnfinishedInput(): void {
    if (!this.published || this.socket.destroyed) return;
    if (this.protocol.unfinishedInputBytes === 0) {
      clearTimeout(this.unfinishedInputTimer);
      this.unfinishedInputTimer = undefined;
    } else {
      this.unfinishedInputTimer ??= setTimeout(() => {
        this.destroy(new TargetTimeoutError(`${this.endpoint.label}: the server left a message unfinished for ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    }
  }

  /** Why the socket closed, from what we know of the moment it did. */
  private closeError(): RestreamError {
    const where = this.endpoint.label;
    const cause = this.socketError;
    const detail = cause ? `${cause.code ?? cause.name}: ${cause.message}` : 'closed by the server';
    if (isTlsError(cause)) return new TargetTlsError(`${where}: TLS failed (${detail})`);
    if (!this.tcpConnected) return new TargetUnreachableError(`${where}: cannot connect (${detail})`);
    if (this.published) return new TargetUnreachableError(`${where}: connection lost (${detail})`);
    if (this.protocol.phase === 'handshake') return new TargetUnreachableError(`${where}: connection ended during the RTMP handshake (${detail})`);
    // After the handshake and before Publish.Start, a close is how many servers say no
    // (nginx-rtmp's on_publish, platforms checking the key).
    return new TargetRejectedError(`${where}: the server closed the connection before accepting the publish (${detail})`);
  }
}
