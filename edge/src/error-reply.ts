/**
 * How the edge answers and logs a failure, the same for media requests (answered on node's
 * request and response) and for the routes fastify serves.
 */
import { LiveError } from '../../service-kit/src/live-error.js';
import {
  MalformedRequestError,
  InternalError,
  OriginBadAnswerError,
  OriginTimeoutError,
  OriginUnreachableError,
} from './errors.js';

export interface ErrorReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ErrorLog {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Any thrown value as the LiveError to answer with: a 4xx from fastify stays a 4xx, the rest is a 500. */
export function toEdgeError(error: unknown): LiveError {
  if (error instanceof LiveError) return error;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && error instanceof Error) {
    return new MalformedRequestError(error.message);
  }
  return new InternalError();
}

/** The JSON answer of an error: never cached, readable by any page. */
export function errorReply(error: LiveError): ErrorReply {
  const body = JSON.stringify(error.toBody());
  return {
    statusCode: error.statusCode,
    headers: {
      'access-control-allow-origin': '*',
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...error.headers,
    },
    body,
  };
}

/**
 * Unexpected errors are logged with their stack; expected failures of the API or an origin in
 * one line, without one; a viewer's own mistakes (4xx) not at all.
 */
export function logEdgeError(log: ErrorLog, edgeError: LiveError, thrown: unknown): void {
  if (edgeError instanceof InternalError) log.error({ err: thrown }, 'unexpected error');
  else if (edgeError.statusCode >= 500) {
    log.warn({ code: edgeError.code, origin: originOf(edgeError), cause: causeOf(edgeError) }, edgeError.message);
  }
}

function originOf(error: LiveError): string | undefined {
  const fromOrigin =
    error instanceof OriginUnreachableError || error instanceof OriginTimeoutError || error instanceof OriginBadAnswerError;
  return fromOrigin ? error.origin : undefined;
}

/** The innermost cause's message, e.g. "connect ECONNREFUSED 10.0.0.1:8080". */
function causeOf(error: Error): string | undefined {
  let inner: unknown = error.cause;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : undefined;
}
