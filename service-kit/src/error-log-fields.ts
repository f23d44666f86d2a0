/**
 * What a logged error may show. pino's standard serializer copies every enumerable field of an
 * error, and libraries put request data there: ioredis a failed command's arguments (a stream
 * key being stored, a token's hash, the password of a failed AUTH) in `command`, node's HTTP
 * parser the raw bytes of a malformed request (its Authorization header) in `rawPacket`. So only
 * fields that describe the failure itself are kept, for the error and for its causes.
 */
const DESCRIPTIVE_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'statusCode'] as const;

/** Deep enough for any real chain of causes, and a bound for a cyclic one. */
const MAX_CAUSE_DEPTH = 5;

export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  cause?: LoggedError | string;
  errors?: (LoggedError | string)[];
  [field: string]: unknown;
}

export function errorLogFields(value: unknown, depth = 0): LoggedError | string {
  if (!(value instanceof Error)) return typeof value === 'string' ? value : `[non-error ${typeof value}]`;
  const fields: LoggedError = { type: value.constructor.name, message: value.message, stack: value.stack };
  const source = value as unknown as Record<string, unknown>;
  for (const name of DESCRIPTIVE_FIELDS) {
    const field = source[name];
    if (typeof field === 'string' || typeof field === 'number') fields[name] = field;
  }
  if (depth < MAX_CAUSE_DEPTH) {
    if (value.cause !== undefined) fields.cause = errorLogFields(value.cause, depth + 1);
    if (value instanceof AggregateError) fields.errors = value.errors.map((error: unknown) => errorLogFields(error, depth + 1));
  }
  return fields;
}
