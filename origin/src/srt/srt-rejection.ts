/**
 * Why a listener refuses a caller (libsrt's SRT_REJ_* and the access-control SRT_REJX_* codes).
 * On the wire the handshake type is REJECTION_TYPE_BASE + the reason; ffmpeg prints the reason.
 */
export const SRT_REJECTION = {
  /** SRT_REJ_RESOURCE: the listener has no room for another connection. */
  resource: 3,
  /** SRT_REJ_ROGUE: the handshake is malformed or its cookie is wrong. */
  rogue: 4,
  /** SRT_REJ_CLOSE: the listener is closing. */
  close: 7,
  /** SRT_REJ_VERSION: not an HSv5 caller. */
  version: 8,
  /** SRT_REJ_BADSECRET: the caller's passphrase is not ours. */
  badSecret: 10,
  /** SRT_REJ_UNSECURE: the caller encrypts and the listener has no passphrase, or the reverse. */
  unsecure: 11,
  /** SRT_REJ_MESSAGEAPI: not live mode (file/stream API). */
  messageApi: 12,
  /** SRT_REJX_BAD_REQUEST: the stream id cannot be read. */
  badRequest: 1400,
  /** SRT_REJX_OVERLOAD: the service cannot take it now; retry later. */
  overload: 1402,
  /** SRT_REJX_FORBIDDEN: the key is not allowed to publish. */
  forbidden: 1403,
  /** SRT_REJX_NOTFOUND */
  notFound: 1404,
  /** SRT_REJX_BAD_MODE: `m=` other than publish. */
  badMode: 1405,
  /** SRT_REJX_CONFLICT: the stream is published already. */
  conflict: 1407,
  /** SRT_REJX_ISE: an unexpected failure on our side. */
  internalError: 1500,
  /** SRT_REJX_DOWN: the service is down for now (the origin drains). */
  down: 1503,
} as const;
