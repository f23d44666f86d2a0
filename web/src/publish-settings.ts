/**
 * What a streamer types into OBS, and the ffmpeg command that stands in for OBS: both from the
 * ingest's URL template (`rtmp://host:1935/stream/{stream_key}`, from GET /v1/ingests) and the
 * stream's RTMP key. Pure, tested in Node.
 */

const KEY_PLACEHOLDER = '{stream_key}';

export interface ObsSettings {
  /** OBS's "Server" field. */
  server: string;
  /** OBS's "Stream Key" field. */
  streamKey: string;
  /** The whole URL, as ffmpeg takes it. */
  url: string;
}

/**
 * OBS appends the key to the server as a last path segment, which is what a template ending in
 * `/{stream_key}` expects; a template of another shape is given whole, with an empty key.
 */
export function obsSettings(urlTemplate: string, streamKey: string): ObsSettings {
  const url = urlTemplate.split(KEY_PLACEHOLDER).join(streamKey);
  const suffix = `/${KEY_PLACEHOLDER}`;
  if (urlTemplate.endsWith(suffix) && urlTemplate.indexOf(KEY_PLACEHOLDER) === urlTemplate.length - KEY_PLACEHOLDER.length) {
    return { server: urlTemplate.slice(0, -suffix.length), streamKey, url };
  }
  return { server: url, streamKey: '', url };
}

/** A 720p30 test pattern with a tone, two-second keyframes, as OBS's defaults send. */
export function testPatternCommand(url: string): string {
  return [
    'ffmpeg -re',
    '-f lavfi -i testsrc2=size=1280x720:rate=30',
    '-f lavfi -i sine=frequency=440:sample_rate=48000',
    '-c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p -g 60 -b:v 2500k',
    '-c:a aac -b:a 128k -ar 48000',
    `-f flv '${url.replaceAll("'", "'\\''")}'`,
  ].join(' ');
}

/** The same text with every occurrence of the secret replaced by dots: what is shown until "Reveal". */
export function hideSecret(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('•'.repeat(12));
}
