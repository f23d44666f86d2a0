import { readInteger, type Env } from '../../service-kit/src/env-settings.js';
import { DEFAULT_ABR_LADDER, MAX_LADDER_RUNGS, type AbrRung } from '../../internal-api/src/abr-contract.js';
import { ValidationError } from './errors.js';

/**
 * The operator's bound on a stream's ABR ladder (issue 13): every rendition costs the origin an
 * encode, so how many, how tall and how fast is the operator's call, not each stream owner's.
 */
export interface AbrLadderBounds {
  /** ABR_MAX_RENDITIONS: rungs one ladder may have. */
  maxRenditions: number;
  /** ABR_MAX_HEIGHT: tallest rung, in pixels. */
  maxHeight: number;
  /** ABR_MAX_BITRATE_KBPS: the fastest rung's video bitrate, kept in bits per second. */
  maxBitrateBps: number;
}

const DEFAULT_LADDER_HEIGHT = Math.max(...DEFAULT_ABR_LADDER.map((rung) => rung.height));
const DEFAULT_LADDER_KBPS = Math.max(...DEFAULT_ABR_LADDER.map((rung) => rung.bitrate_bps)) / 1000;

/**
 * A stream with `ladder: null` gets the default ladder whatever the bounds, so no bound may be
 * below it: the lower limits are the default ladder's own size; the upper ones the ladder schema's.
 */
export function readAbrLadderBounds(env: Env): AbrLadderBounds {
  return {
    maxRenditions: readInteger(env, 'ABR_MAX_RENDITIONS', 3, { min: DEFAULT_ABR_LADDER.length, max: MAX_LADDER_RUNGS }),
    maxHeight: readInteger(env, 'ABR_MAX_HEIGHT', 1080, { min: DEFAULT_LADDER_HEIGHT, max: 2160 }),
    maxBitrateBps: readInteger(env, 'ABR_MAX_BITRATE_KBPS', 6000, { min: DEFAULT_LADDER_KBPS, max: 20_000 }) * 1000,
  };
}

/** 400 naming the first part of `ladder` past the operator's bounds, and the setting that bounds it. */
export function checkLadderBounds(ladder: readonly AbrRung[], bounds: AbrLadderBounds, field = 'body.abr.ladder'): void {
  if (ladder.length > bounds.maxRenditions) {
    throw new ValidationError(field, `may have at most ${bounds.maxRenditions} renditions (ABR_MAX_RENDITIONS)`, { got: ladder.length });
  }
  ladder.forEach((rung, index) => {
    if (rung.height > bounds.maxHeight) {
      throw new ValidationError(`${field}.${index}.height`, `must be at most ${bounds.maxHeight} (ABR_MAX_HEIGHT)`, { got: rung.height });
    }
    if (rung.bitrate_bps > bounds.maxBitrateBps) {
      throw new ValidationError(`${field}.${index}.bitrate_bps`, `must be at most ${bounds.maxBitrateBps} (ABR_MAX_BITRATE_KBPS=${bounds.maxBitrateBps / 1000})`, {
        got: rung.bitrate_bps,
      });
    }
  });
}
