import { verifyPlaybackTokenWithKeys } from '../../playback-token/src/playback-token.js';
import { AllowedOrigins } from '../../playback-token/src/allowed-origins.js';
import {
  OriginNotAllowedError,
  PlaybackTokenExpiredError,
  PlaybackTokenInvalidError,
  PlaybackTokenRequiredError,
  PlaybackTokenWrongStreamError,
} from './errors.js';
import type { PlaybackPolicy } from './route-resolver.js';

/** What a viewer's request says about who it is. */
export interface ViewerCredentials {
  /** The `token` query parameter, if any. */
  token: string | undefined;
  /** The Origin header, else the Referer: the page that plays the stream. */
  page: string | undefined;
}

export interface PlaybackGuardOptions {
  /** PLAYBACK_SIGNING_KEY; unset, streams that require signed URLs cannot be played here. */
  signingKey: string | undefined;
  /** PLAYBACK_SIGNING_KEY_PREVIOUS: also accepted during a rotation, so tokens signed before it play until they expire. */
  previousSigningKey?: string | undefined;
  now: () => number;
}

/** Patterns compiled per policy object; routes are cached, so the same object comes back. */
const compiled = new WeakMap<PlaybackPolicy, AllowedOrigins>();

/**
 * Enforces a stream's playback policy (seed 004's requireSignedURLs and allowedOrigins) on every
 * playlist and segment request, without asking the API: tokens are verified locally with the
 * shared signing key. Returns the token the viewer's later requests must carry, if any.
 */
export class PlaybackGuard {
  constructor(private readonly options: PlaybackGuardOptions) {}

  admit(stream: string, policy: PlaybackPolicy, viewer: ViewerCredentials): { token: string | undefined } {
    if (!this.allowedOrigins(policy).allows(viewer.page)) throw new OriginNotAllowedError(stream, viewer.page);
    if (!policy.requireSignedUrls) return { token: undefined };
    const { token } = viewer;
    if (token === undefined || token === '') throw new PlaybackTokenRequiredError(stream);
    const { signingKey } = this.options;
    if (signingKey === undefined) throw new PlaybackTokenInvalidError(stream, 'this edge has no PLAYBACK_SIGNING_KEY');
    const keys = this.options.previousSigningKey === undefined ? [signingKey] : [signingKey, this.options.previousSigningKey];
    const check = verifyPlaybackTokenWithKeys(token, stream, keys, this.options.now());
    switch (check.result) {
      case 'ok':
        return { token };
      case 'expired':
        throw new PlaybackTokenExpiredError(stream, check.expiredAtMs);
      case 'wrong-stream':
        throw new PlaybackTokenWrongStreamError(stream);
      case 'invalid':
        throw new PlaybackTokenInvalidError(stream, check.reason);
    }
  }

  /** The value for Access-Control-Allow-Origin: `*` for open streams, else the allowed page's origin. */
  corsOrigin(policy: PlaybackPolicy, origin: string | undefined): string | undefined {
    if (!this.allowedOrigins(policy).restricted) return '*';
    return origin !== undefined && this.allowedOrigins(policy).allows(origin) ? origin : undefined;
  }

  private allowedOrigins(policy: PlaybackPolicy): AllowedOrigins {
    let origins = compiled.get(policy);
    if (!origins) {
      origins = new AllowedOrigins(policy.allowedOrigins);
      compiled.set(policy, origins);
    }
    return origins;
  }
}
