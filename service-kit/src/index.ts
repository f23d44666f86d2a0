export * from './env-settings.js';
export * from './error-log-fields.js';
export * from './live-error.js';
export * from './logger.js';
export * from './shutdown.js';
export * from './service-metrics.js';
export * from './secret-files.js';
