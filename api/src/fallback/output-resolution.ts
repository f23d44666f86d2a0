/**
 * The largest picture a converted fallback may have (FALLBACK_MAX_RESOLUTION). Without it an
 * 8192x8192 upload would make libx264 hold gigabytes, and every origin would then push that
 * picture to every target.
 */
export interface Resolution {
  width: number;
  height: number;
}

const RESOLUTION_PATTERN = /^(\d{1,5})x(\d{1,5})$/;
const MIN_SIDE = 16;
const MAX_SIDE = 8192;

/** `1920x1080` to {width, height}; null unless both sides are even and within 16..8192. */
export function parseResolution(text: string): Resolution | null {
  const match = RESOLUTION_PATTERN.exec(text);
  if (!match) return null;
  const [width, height] = [Number(match[1]), Number(match[2])];
  const valid = (side: number) => side >= MIN_SIDE && side <= MAX_SIDE && side % 2 === 0;
  return valid(width) && valid(height) ? { width, height } : null;
}

/**
 * ffmpeg's scale filter for the converted video: kept as it is when it fits `max`, otherwise
 * scaled down to fit, keeping its aspect ratio; never scaled up. The box applies in either
 * orientation (1920x1080 lets a portrait video be 1080x1920), and both sides come out even, as
 * yuv420p needs. Worked out on the decoded frame (iw, ih), so a rotated phone video is measured
 * upright.
 */
export function scaleFilter(max: Resolution): string {
  const long = Math.max(max.width, max.height);
  const short = Math.min(max.width, max.height);
  const landscape = 'gte(iw,ih)';
  return (
    `scale=w='min(iw,if(${landscape},${long},${short}))':h='min(ih,if(${landscape},${short},${long}))'` +
    ':force_original_aspect_ratio=decrease:force_divisible_by=2'
  );
}
