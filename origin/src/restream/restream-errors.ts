/**
 * Every way a push to a target can fail, each with a stable code. Messages name the target's
 * host and app, never its stream key, and go to the origin's log. A push's status (which the API
 * shows the target's owner) says only the failure's public kind: details such as a refused or
 * reset connection, a TLS alert or what the server sent would make restreaming a port scanner.
 */

/**
 * What a push does after the error:
 * - `retry`: the network or the target had a bad moment; retry with backoff, without limit.
 * - `refusal`: the target refused us (wrong key, bad certificate, not an RTMP server); counts
 *   towards the target's `attempts`, after which the push ends `failed`.
 * - `fatal`: the target's configuration cannot work (a malformed URL); `failed` at once.
 */
export type RestreamErrorDisposition = 'retry' | 'refusal' | 'fatal';

/**
 * All a push's status says about a failure: `refused` (the target, or our address policy, said
 * no: wrong key, certificate, not RTMP), `unreachable` (no connection, or it broke), `timed out`
 * (no answer in time, or the target stopped taking data).
 */
export type PublicFailure = 'refused' | 'unreachable' | 'timed out';

const PUBLIC_FAILURE_CODES: Readonly<Record<PublicFailure, string>> = {
  refused: 'RESTREAM_REFUSED',
  unreachable: 'RESTREAM_UNREACHABLE',
  'timed out': 'RESTREAM_TIMED_OUT',
};

/** What a push's status shows of `error`: its public kind as a code and as the message. */
export function publicFailureOf(error: RestreamError): { code: string; message: PublicFailure } {
  return { code: PUBLIC_FAILURE_CODES[error.publicFailure], message: error.publicFailure };
}

/** Every RestreamError's code (`origin_restream_failures_total{code}`). */
export const RESTREAM_ERROR_CODES = [
  'RESTREAM_ERR_REJECTED',
  'RESTREAM_ERR_NETWORK',
  'RESTREAM_ERR_TIMEOUT',
  'RESTREAM_ERR_TLS',
  'RESTREAM_ERR_PROTOCOL',
  'RESTREAM_ERR_STALLED',
  'RESTREAM_ERR_URL',
  'RESTREAM_ERR_ADDRESS_REFUSED',
] as const;
export type RestreamErrorCode = (typeof RESTREAM_ERROR_CODES)[number];

export abstract class RestreamError extends Error {
  abstract readonly code: RestreamErrorCode;
  abstract readonly disposition: RestreamErrorDisposition;
  abstract readonly publicFailure: PublicFailure;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The server said no: `_error`, an onStatus with level `error`, or a close during the publish. */
export class TargetRejectedError extends RestreamError {
  readonly code = 'RESTREAM_ERR_REJECTED';
  readonly disposition = 'refusal';
  readonly publicFailure = 'refused';
  /** The server's status code when it gave one, e.g. `NetStream.Publish.BadName`. */
  constructor(message: string, readonly serverCode?: string) {
    super(message);
  }
}

/** TCP could not connect, or the connection broke. */
export class TargetUnreachableError extends RestreamError {
  readonly code = 'RESTREAM_ERR_NETWORK';
  readonly disposition = 'retry';
  readonly publicFailure = 'unreachable';
}

/** The connection was made but the connect or publish step did not finish in time. */
export class TargetTimeoutError extends RestreamError {
  readonly code = 'RESTREAM_ERR_TIMEOUT';
  readonly disposition = 'retry';
  readonly publicFailure = 'timed out';
}

/** The TLS handshake failed (certificate not trusted, wrong host name, no TLS on that port). */
export class TargetTlsError extends RestreamError {
  readonly code = 'RESTREAM_ERR_TLS';
  readonly disposition = 'refusal';
  readonly publicFailure = 'refused';
}

/** The server's bytes are not RTMP as we know it. */
export class TargetProtocolError extends RestreamError {
  readonly code = 'RESTREAM_ERR_PROTOCOL';
  readonly disposition = 'refusal';
  readonly publicFailure = 'refused';
}

/** The target stopped reading: nothing left our send buffer for too long. */
export class TargetStalledError extends RestreamError {
  readonly code = 'RESTREAM_ERR_STALLED';
  readonly disposition = 'retry';
  readonly publicFailure = 'timed out';
}

/** The target URL is not an rtmp:// or rtmps:// URL with an app and a stream name. */
export class TargetUrlError extends RestreamError {
  readonly code = 'RESTREAM_ERR_URL';
  readonly disposition = 'fatal';
  readonly publicFailure = 'refused';
}

/**
 * The target's host resolved, when connecting, to an address the origin must not push to
 * (ALLOW_PRIVATE_TARGETS is off): a private network, loopback, a metadata service... Whatever
 * the API checked when the target was saved, DNS may say something else now.
 */
export class TargetAddressRefusedError extends RestreamError {
  readonly code = 'RESTREAM_ERR_ADDRESS_REFUSED';
  readonly disposition = 'refusal';
  readonly publicFailure = 'refused';
}

/**
 * Minimum length of a key to mask: masking a one- to three-letter "key" would garble every
 * message (each "s" of a key "s") for a secret no platform would issue.
 */
const MIN_MASKED_LENGTH = 4;

/** Replaces every occurrence of `secret` (a stream key) in `text`. */
export function maskSecret(text: string, secret: string): string {
  if (secret.length < MIN_MASKED_LENGTH) return text;
  let masked = text.split(secret).join('***');
  // Servers often echo only the key's path part, without a `?query` the user appended.
  const bare = secret.split('?')[0] ?? '';
  if (bare.length >= MIN_MASKED_LENGTH && bare !== secret) masked = masked.split(bare).join('***');
  return masked;
}
