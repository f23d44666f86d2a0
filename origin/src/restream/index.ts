/** Restreaming: copies a live stream to RTMP/RTMPS targets (Twitch, YouTube, custom servers). */
export { RestreamManager, type RestreamManagerOptions } from './restream-manager.js';
export type { PushCounters } from './push-counters.js';
export { RestreamPush, type RestreamPushOptions } from './restream-push.js';
export type { RestreamTarget } from './restream-target.js';
export type { RestreamState, RestreamStatus } from './restream-status.js';
export { DEFAULT_RESTREAM_SETTINGS, readRestreamSettings, type RestreamSettings } from './restream-settings.js';
export { RtmpPublishSession, type RtmpPublishSessionOptions, type RtmpTlsOptions } from './rtmp-publish-session.js';
export * from './restream-errors.js';
