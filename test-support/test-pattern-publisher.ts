/**
 * A live test pattern published over RTMP the way an encoder in the field would: ffmpeg encodes
 * a lavfi test picture (640x360) and a 48 kHz tone in real time (`-re`), H.264 + AAC, a keyframe
 * every `gopSeconds`, `fps` frames a second (default 30), `audioChannels` (default 1, the tone's
 * own), and x264's zerolatency tuning so the encoder adds no lookahead delay of its own (a
 * player's latency is then what our platform adds, not what x264 buffers). With `listen`, ffmpeg
 * is an RTMP server at `rtmpUrl` instead, sending the pattern to the one client that plays it (a
 * pull source).
 */
import { publishWithFfmpeg, type Publisher } from './ffmpeg.js';

export function publishTestPattern(rtmpUrl: string, { gopSeconds = 2, fps = 30, audioChannels = 1, listen = false } = {}): Publisher {
  const gop = String(gopSeconds * fps);
  return publishWithFfmpeg(
    [
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${fps}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-b:v', '800k',
      '-c:a', 'aac', '-b:a', '96k', '-ac', String(audioChannels),
      ...(listen ? ['-listen', '1'] : []),
    ],
    rtmpUrl,
  );
}
