import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import {
  InternalError,
  LiveError,
  MalformedRequestError,
  PayloadTooLargeError,
  RouteNotFoundError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.js';
import { REDACTED, pathOf, redactSecretLooking } from './request-redaction.js';

/** Turns any error raised while handling a request into the `{ error: { code, message } }` answer. */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error, request);
  if (apiError instanceof InternalError) {
    request.log.error({ err: error }, 'request failed');
  } else if (apiError instanceof StoreUnavailableError) {
    // The outage itself is logged once by the Redis client; each failed request only at debug.
    request.log.debug({ err: apiError.cause }, apiError.message);
  }
  void reply.code(apiError.statusCode).headers(apiError.headers).send(apiError.toBody());
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const error = new RouteNotFoundError(request.method, pathOf(request.url));
  void reply.code(error.statusCode).send(error.toBody());
}

function toApiError(error: FastifyError | Error, request: FastifyRequest): LiveError {
  if (error instanceof LiveError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation && fastifyError.validation.length > 0) {
    return describeValidation(fastifyError.validation, fastifyError.validationContext ?? 'body', request);
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return new PayloadTooLargeError(error.message);
  if (status === 415) return new UnsupportedMediaTypeError(request.headers['content-type']);
  if (status >= 400 && status < 500) return new MalformedRequestError(error.message);
  return new InternalError(error);
}

const REQUEST_PARTS = {
  body: (request: FastifyRequest) => request.body,
  querystring: (request: FastifyRequest) => request.query,
  params: (request: FastifyRequest) => request.params,
  headers: (request: FastifyRequest) => request.headers,
} as const;

/** Names the first offending field (e.g. `body.host`) and the value it got. */
function describeValidation(
  errors: FastifySchemaValidationError[],
  context: string,
  request: FastifyRequest,
): ValidationError {
  const [first] = errors as [FastifySchemaValidationError];
  const segments = first.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (first.keyword === 'required' && typeof first.params.missingProperty === 'string') {
    return new ValidationError([context, ...segments, first.params.missingProperty].join('.'), 'is required');
  }
  // A key that fails `propertyNames` (e.g. a stream name in a map): name the key, not the object.
  const { propertyName } = first as { propertyName?: unknown };
  if (typeof propertyName === 'string') {
    return new ValidationError([context, ...segments].join('.'), `has a key that ${first.message ?? 'is invalid'}`, {
      got: redactSecretLooking(propertyName),
    });
  }
  const part = context in REQUEST_PARTS ? REQUEST_PARTS[context as keyof typeof REQUEST_PARTS](request) : undefined;
  const value = segments.reduce<unknown>(
    (parent, key) => (parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[key] : undefined),
    part,
  );
  const secret = segments.some((segment) => SECRET_FIELDS.has(segment));
  return new ValidationError([context, ...segments].join('.'), first.message ?? 'is invalid', {
    got: secret ? REDACTED : redactSecretLooking(value),
  });
}

/**
 * Fields whose values are never echoed: a restream target's key, and its URL, which a user may
 * have pasted with the key or a password in it.
 */
const SECRET_FIELDS = new Set(['stream_key', 'stream_url']);
