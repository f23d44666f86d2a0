export * from './blocking-reload.js';
export * from './delivery-directives.js';
export * from './llhls-names.js';
export * from './llhls-settings.js';
export * from './low-latency-playlist.js';
export * from './playlist-text.js';
export * from './reload-waiters.js';
