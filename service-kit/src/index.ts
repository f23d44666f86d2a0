export * from './env-settings.js';
export * from './logger.js';
export * from './shutdown.js';
