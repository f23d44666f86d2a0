/**
 * A live DASH manifest (ISO/IEC 23009-1) as data, and its XML text. No clock and no I/O: the
 * caller hands in every time. Profile `isoff-live`: per Period one AdaptationSet per track (dash.js
 * refuses muxed Representations), each a SegmentTemplate with a SegmentTimeline whose `$Number$`
 * counts the LL-HLS media sequence numbers from the Period's first (llhls-contract/src/dash-names.ts).
 *
 * SegmentTimeline rather than a fixed `@duration`: segments end at keyframes, so their lengths vary
 * with the publisher's GOP (and audio segments are whole AAC frames, never exactly the video's);
 * a timeline states each one, and a player never asks for a segment that does not exist yet.
 */

export interface MpdVideo {
  kind: 'video';
  /** RFC 6381, e.g. `avc1.64001f`. */
  codec: string;
  width?: number;
  height?: number;
  /** Frames per second, measured from the first segment of the Period. */
  frameRate?: number;
}

export interface MpdAudio {
  kind: 'audio';
  codec: string;
  sampleRate: number;
  channels: number;
}

export interface MpdTimelineEntry {
  /** Start in the track's timescale (the tfdt of the segment's first chunk). */
  start: number;
  duration: number;
}

export interface MpdAdaptationSet {
  track: MpdVideo | MpdAudio;
  timescale: number;
  /** Bits per second (Representation@bandwidth is mandatory); measured, rounded up. */
  bandwidth: number;
  /** SegmentTemplate@initialization: a plain name, one init per Period. */
  initialization: string;
  /** SegmentTemplate@media, with `$Number$`. */
  media: string;
  /** The track's time at the Period's start, in its timescale. */
  presentationTimeOffset: number;
  /** `$Number$` of the first timeline entry. */
  startNumber: number;
  /** The segments in the window, numbered from startNumber one by one. */
  segments: readonly MpdTimelineEntry[];
  /**
   * Other Representations of the same content (an ABR stream's renditions of the video), each
   * with its own template; segments with the same number cover the same time (segmentAlignment).
   */
  alternatives?: readonly MpdAlternative[];
}

export interface MpdAlternative extends Omit<MpdAdaptationSet, 'alternatives'> {
  /** Representation@id: the rendition's name, `360p`. */
  id: string;
}

export interface MpdPeriod {
  id: string;
  /** Seconds from availabilityStartTime. */
  startSeconds: number;
  adaptationSets: readonly MpdAdaptationSet[];
}

export interface Mpd {
  /** Wall clock of media time 0 of the first Period: fixed for the stream's lifetime. */
  availabilityStartTime: Date;
  publishTime: Date;
  /** How often a player reloads the manifest; undefined once the stream ended (it no longer changes). */
  minimumUpdatePeriodSeconds: number | undefined;
  /** Once ended: seconds from availabilityStartTime to the end of the last segment. */
  mediaPresentationDurationSeconds?: number;
  timeShiftBufferDepthSeconds: number;
  suggestedPresentationDelaySeconds: number;
  minBufferTimeSeconds: number;
  maxSegmentDurationSeconds: number;
  periods: readonly MpdPeriod[];
}

export const DASH_LIVE_PROFILE = 'urn:mpeg:dash:profile:isoff-live:2011';
/** The clock is the manifest's own publish time: players need no time server (dash.js asks one on the internet otherwise). */
const UTC_TIMING_DIRECT = 'urn:mpeg:dash:utc:direct:2014';
const AUDIO_CHANNEL_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

export function renderMpd(mpd: Mpd): string {
  const root = attributes({
    xmlns: 'urn:mpeg:dash:schema:mpd:2011',
    profiles: DASH_LIVE_PROFILE,
    type: 'dynamic',
    availabilityStartTime: isoDate(mpd.availabilityStartTime),
    publishTime: isoDate(mpd.publishTime),
    minimumUpdatePeriod: mpd.minimumUpdatePeriodSeconds === undefined ? undefined : duration(mpd.minimumUpdatePeriodSeconds),
    mediaPresentationDuration: mpd.mediaPresentationDurationSeconds === undefined ? undefined : duration(mpd.mediaPresentationDurationSeconds),
    timeShiftBufferDepth: duration(mpd.timeShiftBufferDepthSeconds),
    suggestedPresentationDelay: duration(mpd.suggestedPresentationDelaySeconds),
    minBufferTime: duration(mpd.minBufferTimeSeconds),
    maxSegmentDuration: duration(mpd.maxSegmentDurationSeconds),
  });
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<MPD${root}>`];
  for (const period of mpd.periods) {
    lines.push(`  <Period${attributes({ id: period.id, start: duration(period.startSeconds) })}>`);
    for (const set of period.adaptationSets) lines.push(...adaptationSet(set));
    lines.push('  </Period>');
  }
  lines.push(`  <UTCTiming${attributes({ schemeIdUri: UTC_TIMING_DIRECT, value: isoDate(mpd.publishTime) })}/>`);
  lines.push('</MPD>', '');
  return lines.join('\n');
}

function adaptationSet(set: MpdAdaptationSet): string[] {
  const video = set.track.kind === 'video';
  return [
    `    <AdaptationSet${attributes({
      id: video ? '0' : '1',
      contentType: set.track.kind,
      mimeType: video ? 'video/mp4' : 'audio/mp4',
      segmentAlignment: 'true',
      startWithSAP: '1',
    })}>`,
    ...representation(set, set.track.kind),
    ...(set.alternatives ?? []).flatMap((alternative) => representation(alternative, alternative.id)),
    '    </AdaptationSet>',
  ];
}

function representation(set: Omit<MpdAdaptationSet, 'alternatives'>, id: string): string[] {
  const { track } = set;
  const video = track.kind === 'video';
  const lines = [
    `      <Representation${attributes({
      id,
      codecs: track.codec,
      bandwidth: String(set.bandwidth),
      width: video ? optional(track.width) : undefined,
      height: video ? optional(track.height) : undefined,
      frameRate: video ? frameRate(track.frameRate) : undefined,
      audioSamplingRate: video ? undefined : String(track.sampleRate),
    })}>`,
  ];
  if (track.kind === 'audio') lines.push(`        <AudioChannelConfiguration${attributes({ schemeIdUri: AUDIO_CHANNEL_SCHEME, value: String(track.channels) })}/>`);
  lines.push(
    `        <SegmentTemplate${attributes({
      timescale: String(set.timescale),
      presentationTimeOffset: String(set.presentationTimeOffset),
      startNumber: String(set.startNumber),
      initialization: set.initialization,
      media: set.media,
    })}>`,
    '          <SegmentTimeline>',
    ...timeline(set.segments).map((entry) => `            <S${attributes(entry)}/>`),
    '          </SegmentTimeline>',
    '        </SegmentTemplate>',
    '      </Representation>',
  );
  return lines;
}

/**
 * `<S t d r>`: `t` on the first entry and after a gap or overlap, `r` counting repeats of the same
 * duration back to back (a steady GOP gives one line for the whole window).
 */
function timeline(segments: readonly MpdTimelineEntry[]): Record<string, string | undefined>[] {
  const entries: { t?: number; d: number; r: number }[] = [];
  let end: number | undefined;
  for (const segment of segments) {
    const last = entries[entries.length - 1];
    if (last && segment.start === end && segment.duration === last.d) last.r++;
    else entries.push({ t: segment.start === end ? undefined : segment.start, d: segment.duration, r: 0 });
    end = segment.start + segment.duration;
  }
  return entries.map(({ t, d, r }) => ({ t: optional(t), d: String(d), r: r === 0 ? undefined : String(r) }));
}

/** ` name="value"` for every defined value, escaped for an attribute. */
function attributes(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function optional(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** xs:duration in seconds, to the millisecond: `PT2S`, `PT0.5S`, `PT62.345S`. */
export function duration(seconds: number): string {
  return `PT${Number(Math.max(0, seconds).toFixed(3))}S`;
}

/** xs:dateTime in UTC, to the millisecond. */
function isoDate(date: Date): string {
  return date.toISOString();
}

/** FrameRateType is an integer or a fraction: whole rates as integers, 29.97 as `30000/1001`, others to the millisecond. */
function frameRate(fps: number | undefined): string | undefined {
  if (fps === undefined || !(fps > 0)) return undefined;
  if (Math.abs(fps - Math.round(fps)) < 0.01) return String(Math.round(fps));
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 0.01) return `${ntsc * 1000}/1001`;
  return `${Math.round(fps * 1000)}/1000`;
}
