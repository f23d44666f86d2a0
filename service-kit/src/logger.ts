import { pino, type Logger, type LoggerOptions } from 'pino';
import { errorLogFields } from './error-log-fields.js';

export type { Logger };

/**
 * Fields that may carry a secret. They are censored wherever they appear in a log line, so a
 * stream key or token passed along by mistake never reaches the logs.
 */
export const SECRET_LOG_PATHS = [
  'key',
  'streamKey',
  'stream_key',
  'token',
  'secret',
  'password',
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  '*.key',
  '*.streamKey',
  '*.stream_key',
  '*.token',
  '*.secret',
  '*.password',
];

export function loggerOptions(service: string, level = process.env.LOG_LEVEL ?? 'info'): LoggerOptions {
  return {
    name: service,
    level,
    redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' },
    serializers: { err: errorLogFields },
  };
}

export function createLogger(service: string, level?: string): Logger {
  return pino(loggerOptions(service, level));
}
