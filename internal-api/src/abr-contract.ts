import { Type, type Static } from 'typebox';

/**
 * Adaptive bitrate (issue 13) as the origin receives it with a publish: the renditions it
 * transcodes beside the source. Each rung is a height and a video bitrate; renditions as tall as
 * the source or taller are skipped (never upscaled), the source always plays as it is.
 */
export const MAX_LADDER_RUNGS = 4;

/**
 * With ABR on, a stream's `index.m3u8` is the multivariant playlist and the source's media
 * playlist is this one beside it: discovery reads it to tell whether the stream is live.
 */
export const ABR_SOURCE_PLAYLIST = 'source.m3u8';

export const AbrRung = Type.Object(
  {
    height: Type.Integer({ minimum: 90, maximum: 2160, multipleOf: 2, description: 'Rendition height in pixels (even); the width keeps the source aspect' }),
    bitrate_bps: Type.Integer({ minimum: 50_000, maximum: 20_000_000, description: 'Video bitrate in bits per second' }),
  },
  { additionalProperties: false },
);
export type AbrRung = Static<typeof AbrRung>;

export const AbrLadder = Type.Array(AbrRung, {
  minItems: 1,
  maxItems: MAX_LADDER_RUNGS,
  description: `1-${MAX_LADDER_RUNGS} renditions, each height at most once`,
});

/** 720p 2.5 Mb/s, 480p 1.2 Mb/s, 360p 0.6 Mb/s, plus the source itself. */
export const DEFAULT_ABR_LADDER: readonly AbrRung[] = Object.freeze([
  { height: 720, bitrate_bps: 2_500_000 },
  { height: 480, bitrate_bps: 1_200_000 },
  { height: 360, bitrate_bps: 600_000 },
]);

export const PublishAbr = Type.Object(
  { enabled: Type.Boolean(), ladder: AbrLadder },
  { description: 'Whether the origin transcodes the session into an ABR ladder, and which' },
);
export type PublishAbr = Static<typeof PublishAbr>;

/** A ladder naming one height twice would write two renditions into one playlist. */
export function duplicateHeight(ladder: readonly AbrRung[]): number | undefined {
  const seen = new Set<number>();
  for (const { height } of ladder) {
    if (seen.has(height)) return height;
    seen.add(height);
  }
  return undefined;
}

/**
 * A publish's ABR as its origin reports it in the heartbeat (and lifecycle shows it):
 * `over-limit`: asked for, but the origin already transcodes ABR_MAX_STREAMS streams, so the
 * stream runs without ABR; `waiting-for-source`: no video header yet; `source-only`: no rung is
 * below the source's height; `starting`: ffmpeg runs, not every rendition is listed yet;
 * `running`; `restarting`: ffmpeg stopped (died, or fell behind) and restarts after a backoff
 * while the source plays on.
 */
export const ABR_STATES = ['over-limit', 'waiting-for-source', 'source-only', 'starting', 'running', 'restarting', 'ended'] as const;
export type AbrState = (typeof ABR_STATES)[number];

export const PublishAbrStatus = Type.Object(
  {
    state: Type.Enum([...ABR_STATES]),
    renditions: Type.Array(Type.String({ maxLength: 16 }), { maxItems: MAX_LADDER_RUNGS, description: 'The renditions beside the source, e.g. 360p' }),
    restarts: Type.Integer({ minimum: 0, description: 'Times the ladder was restarted since the publish began' }),
    last_stop: Type.Optional(Type.String({ maxLength: 512, description: 'Why the ladder last stopped' })),
  },
  { description: 'Adaptive bitrate, when the stream asks for it' },
);
export type PublishAbrStatus = Static<typeof PublishAbrStatus>;
