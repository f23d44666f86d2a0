/** Fallback video: what a stream's viewers and targets get while its publisher is away. */
export { FallbackCache, type FallbackCacheOptions, type FallbackRef } from './fallback-cache.js';
export { FallbackLoop } from './fallback-loop.js';
export { FallbackPlayer, type FallbackPlayerOptions } from './fallback-player.js';
export { readFallbackSettings, type FallbackSettings } from './fallback-settings.js';
export * from './fallback-errors.js';
