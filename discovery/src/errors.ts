/**
 * Every failure kind of the discovery service, each with a stable `code`. The report outbox
 * retries `ApiUnavailableError` with backoff and drops a report on `ApiRejectedError`, since
 * sending the same request again cannot succeed.
 */
export class ApiUnavailableError extends Error {
  override readonly name = 'ApiUnavailableError';
  readonly code = 'LIVE_ERR_DISCOVERY_API_UNAVAILABLE';
  constructor(
    readonly request: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      status === undefined
        ? `${request} failed: API unreachable`
        : `${request} failed: API answered ${status}`,
      options,
    );
  }
}

export class ApiRejectedError extends Error {
  override readonly name = 'ApiRejectedError';
  readonly code = 'LIVE_ERR_DISCOVERY_API_REJECTED';
  constructor(
    readonly request: string,
    readonly status: number,
    readonly responseBody: string,
  ) {
    super(`${request} was rejected: API answered ${status}: ${responseBody}`);
  }
}

/** Anything but an explicit rejection may succeed later (network, 5xx, 429, timeouts, bugs). */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof ApiRejectedError);
}
