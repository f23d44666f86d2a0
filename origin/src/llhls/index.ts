export * from './blocking-reload.js';
export * from '../../../llhls-contract/src/delivery-directives.js';
export * from '../../../llhls-contract/src/llhls-names.js';
export * from './llhls-settings.js';
export * from './low-latency-playlist.js';
export * from './playlist-text.js';
export * from './reload-waiters.js';
