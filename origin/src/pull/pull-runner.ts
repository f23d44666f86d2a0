import type { PullState, PullStatusReport } from '../../../internal-api/src/pull-contract.js';
import type { AddressPolicy } from '../../../network-policy/src/address-policy.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import { maskUrlSecrets, redactUrlSecrets } from '../../../service-kit/src/url-secrets.js';
import type { IncomingPublish } from '../ingest/flv-tag-source.js';
import { newPublishSessionId } from '../ingest/publish-session-id.js';
import { retryDelayMs, type RetryPolicy } from '../restream/retry-policy.js';
import { pinnedSourceUrl } from './pull-ffmpeg-args.js';
import { PullEgressProxy } from './pull-egress-proxy.js';
import { PullPublish } from './pull-publish.js';
import type { PullSettings } from './pull-settings.js';

export interface ClaimedSource {
  stream: string;
  /** Secret: credentials and query may be in it. */
  url: string;
  /** The stream's RTMP publish key (secret). */
  streamKey: string;
}

export interface PullRunnerOptions {
  source: ClaimedSource;
  ffmpegPath: string;
  limits: Pick<PullSettings, 'idleTimeoutMs' | 'maxBytesPerSecond'>;
  /** The restream retry policy's backoff (RESTREAM_RETRY_*); a pull never gives up while claimed. */
  retry: RetryPolicy;
  /** ALLOW_PRIVATE_TARGETS, checked again here: the host's DNS may have changed since the API saved it. */
  addressPolicy: Pick<AddressPolicy, 'resolve'>;
  /** Hands each attempt's publish to the publish gate, as a new RTMP publisher would be. */
  admit: (publish: IncomingPublish) => void;
  logger: Logger;
}

/**
 * One claimed pull, across its attempts: each attempt is an ffmpeg publishing the stream through
 * the publish gate; when it ends (the source went away, a refusal), the next one waits the
 * restream retry backoff. Nothing here gives up: the pull runs until it is no longer claimed.
 */
export class PullRunner {
  private state: PullState = 'connecting';
  private since = new Date();
  private attempts = 0;
  private lastError: string | null = null;
  private current: PullPublish | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: PullRunnerOptions) {
    this.log = options.logger.child({ stream: options.source.stream, source: maskUrlSecrets(options.source.url) });
  }

  get source(): ClaimedSource {
    return this.options.source;
  }

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.current?.stop();
  }

  status(): PullStatusReport {
    return {
      stream: this.options.source.stream,
      state: this.state,
      since: this.since.toISOString(),
      attempts: this.attempts,
      last_error: this.lastError,
    };
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.attempts += 1;
    this.enter('connecting');
    const { source } = this.options;
    const url = new URL(source.url);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: string[];
    try {
      addresses = await this.options.addressPolicy.resolve(host);
    } catch (error) {
      return this.failed(redactUrlSecrets(error instanceof Error ? error.message : String(error), source.url));
    }
    if (this.stopped) return;
    let proxy: PullEgressProxy;
    try {
      proxy = await PullEgressProxy.start({ addressPolicy: this.options.addressPolicy, logger: this.log });
    } catch (error) {
      return this.failed(`could not open the pull's proxy: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.stopped) return proxy.close();
    const publish = new PullPublish({
      id: newPublishSessionId(),
      streamKey: source.streamKey,
      url: pinnedSourceUrl(source.url, addresses[0]!),
      proxyUrl: proxy.url,
      host,
      ffmpegPath: this.options.ffmpegPath,
      limits: this.options.limits,
      onMedia: () => {
        if (this.stopped) return;
        this.attempts = 0;
        this.lastError = null;
        this.enter('live');
        this.log.info('pull source live');
      },
      onEnded: (reason) => {
        proxy.close();
        this.current = undefined;
        // ffmpeg only says "403 Forbidden"; the proxy knows which host was refused, and why.
        if (!this.stopped) this.failed(proxy.refusal ? `refused: ${proxy.refusal}` : reason);
      },
    });
    this.current = publish;
    this.options.admit(publish);
  }

  private failed(reason: string): void {
    this.lastError = reason;
    this.enter('retrying');
    const delayMs = retryDelayMs(this.options.retry, Math.max(this.attempts, 1));
    this.log.warn({ reason, attempts: this.attempts, retryInMs: delayMs }, 'pull source ended; retrying');
    this.retryTimer = setTimeout(() => void this.attempt(), delayMs);
  }

  private enter(state: PullState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date();
  }
}
