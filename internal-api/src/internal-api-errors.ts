/**
 * How a request to the API's internal listener fails, as every service sees it. Each error says
 * what the caller should do: try again later (unavailable, bad answer) or not (refused). `request`
 * names the route (`PUT /ingests/:origin_id`), never a filled path or a query: they may carry a
 * stream key.
 */

/** Longest part of an answer quoted in a message. */
const MAX_QUOTED_CHARS = 300;

function excerpt(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

export abstract class InternalApiError extends Error {
  abstract readonly code: string;

  constructor(
    readonly request: string,
    /** What went wrong, without the request. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${request}: ${reason}`, options);
    this.name = new.target.name;
  }
}

/**
 * The API could not be asked or did not answer in time: refused or broken connection, timeout,
 * 5xx, 408, 429. Try again later.
 */
export class InternalApiUnavailableError extends InternalApiError {
  readonly code = 'LIVE_ERR_INTERNAL_API_UNAVAILABLE';
  constructor(
    request: string,
    reason: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(request, reason, options);
  }
}

/**
 * The API answered no (a 4xx): a denied publish, an unknown stream, an invalid request, a wrong
 * INTERNAL_TOKEN. Sending the same request again cannot succeed.
 */
export class InternalApiRefusedError extends InternalApiError {
  readonly code = 'LIVE_ERR_INTERNAL_API_REFUSED';
  constructor(
    request: string,
    readonly status: number,
    /** The API's own `LIVE_ERR_*` code, when the answer carries one. */
    readonly errorCode: string | undefined,
    apiMessage: string | undefined,
  ) {
    super(request, `the API answered ${status}${errorCode ? ` ${errorCode}` : ''}${apiMessage ? `: ${excerpt(apiMessage)}` : ''}`);
  }
}

/**
 * The answer is not what the contract says: not JSON, a field missing or invalid, too large.
 * Something other than this API answers at API_URL, or a version that does not match; retrying
 * may meet a healthy instance.
 */
export class InternalApiBadAnswerError extends InternalApiError {
  readonly code = 'LIVE_ERR_INTERNAL_API_BAD_ANSWER';
}

/** Whether the same request may succeed later. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof InternalApiRefusedError);
}
