import type { RestreamSettings } from './restream-settings.js';
import type { RetryPolicy } from './retry-policy.js';
import { parseRtmpTarget } from './rtmp-url.js';

/** A place a live stream is copied to, as the API configures it. */
export interface RestreamTarget {
  id: string;
  /** rtmp:// or rtmps:// base URL, e.g. rtmp://live.twitch.tv/app; the publish URL is url/streamKey. */
  url: string;
  /** Secret: never logged, never in a status. */
  streamKey: string;
  enabled: boolean;
  /** Seed 002's policy; unset fields take the settings' defaults. */
  retry?: { attempts?: number; delayS?: number };
}

/** Whether a push to `a` can go on serving `b`: nothing that shapes the publish changed. */
export function sameTarget(a: RestreamTarget, b: RestreamTarget): boolean {
  return (
    a.url === b.url &&
    a.streamKey === b.streamKey &&
    a.enabled === b.enabled &&
    a.retry?.attempts === b.retry?.attempts &&
    a.retry?.delayS === b.retry?.delayS
  );
}

export function retryPolicyOf(target: RestreamTarget, settings: RestreamSettings): RetryPolicy {
  return {
    attempts: target.retry?.attempts ?? settings.retryAttempts,
    delayS: target.retry?.delayS ?? settings.retryDelayS,
    maxDelayS: settings.retryMaxDelayS,
    jitter: settings.retryJitter,
  };
}

/** The target's URL without its key, for logs and status; never throws. */
export function targetLabel(target: RestreamTarget): string {
  try {
    return parseRtmpTarget(target.url, target.streamKey).label;
  } catch {
    return '(invalid target URL)';
  }
}
