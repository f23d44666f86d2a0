/**
 * Restream platforms (seed 000). A well-known platform needs only the user's stream key: its
 * ingest URL comes from a setting. `custom` needs the URL too.
 */
export const PLATFORMS = ['twitch', 'youtube', 'kick', 'facebook', 'custom'] as const;
export type Platform = (typeof PLATFORMS)[number];
export type WellKnownPlatform = Exclude<Platform, 'custom'>;
export const WELL_KNOWN_PLATFORMS: readonly WellKnownPlatform[] = ['twitch', 'youtube', 'kick', 'facebook'];

/** A target's name when the user gives none. */
export const PLATFORM_NAMES: Readonly<Record<Platform, string>> = {
  twitch: 'Twitch',
  youtube: 'YouTube',
  kick: 'Kick',
  facebook: 'Facebook',
  custom: 'Custom',
};

/** The setting that holds each platform's ingest URL, and its default (each platform's documented primary ingest). */
export const INGEST_URL_SETTINGS: Readonly<Record<WellKnownPlatform, { variable: string; fallback: string }>> = {
  twitch: { variable: 'TWITCH_INGEST_URL', fallback: 'rtmp://live.twitch.tv/app' },
  youtube: { variable: 'YOUTUBE_INGEST_URL', fallback: 'rtmp://a.rtmp.youtube.com/live2' },
  kick: { variable: 'KICK_INGEST_URL', fallback: 'rtmps://fa723fc1b171.global-contribute.live-video.net/app' },
  facebook: { variable: 'FACEBOOK_INGEST_URL', fallback: 'rtmps://live-api-s.facebook.com:443/rtmp' },
};

export function isWellKnown(platform: Platform): platform is WellKnownPlatform {
  return platform !== 'custom';
}

/** Where a target pushes: its own URL, or its platform's ingest URL setting. */
export function ingestUrlOf(
  target: { platform: Platform; streamUrl: string | null },
  platformUrls: Readonly<Record<WellKnownPlatform, string>>,
): string {
  if (target.streamUrl !== null) return target.streamUrl;
  return isWellKnown(target.platform) ? platformUrls[target.platform] : '';
}
