import type { FinishedSegment, PlannedPart, PlaylistPart, PlaylistSegmentParts } from './low-latency-playlist.js';

/**
 * The text of a Low-Latency HLS media playlist, whole or as a Playlist Delta Update. Written by
 * hand rather than through hls-parser's stringify, which prints numbers as JavaScript does
 * (3 x 0.334 is 1.0020000000000002: LivePlaylist rewrites its EXTINF lines for that) and would
 * need every attribute patched the same way; the tests parse the text back with hls-parser in
 * strict mode, which checks the LL-HLS rules it knows.
 */

/** What the text is made from; LowLatencyPlaylist is one. */
export interface LowLatencyPlaylistView {
  readonly ended: boolean;
  readonly targetDurationSeconds: number;
  readonly partTargetSeconds: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly segments: readonly FinishedSegment[];
  readonly segmentInProgress: PlaylistSegmentParts | undefined;
  readonly preloadHint: PlannedPart | undefined;
}

export interface RenderOptions {
  /**
   * `_HLS_skip=YES` or `v2`: a Playlist Delta Update (RFC 8216bis 6.2.5.1). `v2` also asks to
   * skip EXT-X-DATERANGE tags; this playlist has none, so it differs from YES only by the
   * (empty) RECENTLY-REMOVED-DATERANGES list the spec requires in the answer to it.
   */
  skip?: 'YES' | 'v2';
}

/**
 * EXT-X-VERSION: 6 for EXT-X-MAP without EXT-X-I-FRAMES-ONLY, 9 once EXT-X-SKIP is present
 * (RFC 8216bis section 8). Parts, preload hints and server control need no particular version,
 * and a playlist should not claim more than it uses (6.2.1).
 */
const VERSION = 6;
const DELTA_UPDATE_VERSION = 9;

/** Apple's authoring spec requires PART-HOLD-BACK >= 3 part targets (RFC 8216bis: at least 2, should be 3). */
const PART_HOLD_BACK_PARTS = 3;

/** CAN-SKIP-UNTIL, the Skip Boundary: the spec's minimum, six target durations (4.4.3.8). */
const SKIP_BOUNDARY_TARGET_DURATIONS = 6;

/**
 * Parts are listed for the segments that start less than three target durations from the live
 * edge (6.2.2: EXT-X-PART tags should go once they are further away). A segment's parts go all
 * at once: clients number parts from the first one listed under a segment, so dropping some of
 * them would renumber the rest.
 */
export const PART_LISTING_TARGET_DURATIONS = 3;

/** Seconds as the playlist writes them: always three decimals. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function renderLowLatencyPlaylist(view: LowLatencyPlaylistView, options: RenderOptions = {}): string {
  const targetMs = view.targetDurationSeconds * 1000;
  const partTargetMs = Math.round(view.partTargetSeconds * 1000);
  const skipBoundaryMs = SKIP_BOUNDARY_TARGET_DURATIONS * targetMs;
  const inProgress = view.segmentInProgress;
  const inProgressMs = inProgress ? sumMs(inProgress.parts) : 0;
  const fromEdgeMs = startsFromLiveEdgeMs(view.segments, inProgressMs);
  // A playlist with EXT-X-ENDLIST ignores _HLS_skip (6.2.5.1). With no segment old enough to
  // skip, the whole playlist is the delta update: SKIPPED-SEGMENTS=0 would only raise the version.
  const skipped = options.skip && !view.ended ? skippedSegmentCount(view.segments, skipBoundaryMs) : 0;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${skipped > 0 ? DELTA_UPDATE_VERSION : VERSION}`,
    `#EXT-X-TARGETDURATION:${view.targetDurationSeconds}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(PART_HOLD_BACK_PARTS * partTargetMs)},` +
      `CAN-SKIP-UNTIL=${seconds(skipBoundaryMs)}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(partTargetMs)}`,
    `#EXT-X-MEDIA-SEQUENCE:${view.mediaSequence}`,
    // Before EXT-X-SKIP: hls.js counts the skipped segments as segments already seen and rejects
    // a DISCONTINUITY-SEQUENCE after them (hls.js issue 7554).
    `#EXT-X-DISCONTINUITY-SEQUENCE:${view.discontinuitySequence}`,
  ];
  if (skipped > 0) {
    const dateRanges = options.skip === 'v2' ? ',RECENTLY-REMOVED-DATERANGES=""' : '';
    lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}${dateRanges}`);
  }

  let initSectionUri: string | undefined;
  view.segments.forEach((segment, i) => {
    if (i < skipped) return;
    lines.push(...segmentHead(segment, initSectionUri));
    initSectionUri = segment.initSectionUri;
    const nearEdge = (fromEdgeMs[i] ?? Infinity) < PART_LISTING_TARGET_DURATIONS * targetMs;
    if (nearEdge) lines.push(...segment.parts.map(partLine));
    lines.push(`#EXTINF:${seconds(durationMs(segment))},`, segment.uri);
  });
  if (inProgress) lines.push(...segmentHead(inProgress, initSectionUri), ...inProgress.parts.map(partLine));

  if (view.ended) lines.push('#EXT-X-ENDLIST');
  else if (view.preloadHint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${view.preloadHint.uri}"`);
  return `${lines.join('\n')}\n`;
}

/**
 * A delta update replaces the segments that end a Skip Boundary or more before the last one
 * ends, so it lists the last CAN-SKIP-UNTIL seconds of segments (and the parts after them).
 */
function skippedSegmentCount(segments: readonly FinishedSegment[], skipBoundaryMs: number): number {
  let endsBeforeLastMs = segments.reduce((sum, segment) => sum + durationMs(segment), 0);
  let count = 0;
  for (const segment of segments) {
    endsBeforeLastMs -= durationMs(segment);
    if (endsBeforeLastMs < skipBoundaryMs) break;
    count += 1;
  }
  return count;
}

/** How far each finished segment starts from the live edge (the end of the last part). */
function startsFromLiveEdgeMs(segments: readonly FinishedSegment[], inProgressMs: number): number[] {
  let fromEdgeMs = inProgressMs;
  return [...segments]
    .reverse()
    .map((segment) => (fromEdgeMs += durationMs(segment)))
    .reverse();
}

/** The tags that apply to a segment's first part, so they come before it (4.4.4.9). */
function segmentHead(segment: PlaylistSegmentParts, previousInitSectionUri: string | undefined): string[] {
  const lines: string[] = [];
  if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  // Also on the first segment listed, so that a delta update names the init section its segments need.
  if (segment.initSectionUri !== previousInitSectionUri) lines.push(`#EXT-X-MAP:URI="${segment.initSectionUri}"`);
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${segment.programDateTime.toISOString()}`);
  return lines;
}

function partLine(part: PlaylistPart): string {
  const independent = part.independent ? ',INDEPENDENT=YES' : '';
  return `#EXT-X-PART:DURATION=${seconds(durationMs(part))},URI="${part.uri}"${independent}`;
}

function durationMs(media: { durationSeconds: number }): number {
  return Math.round(media.durationSeconds * 1000);
}

function sumMs(parts: readonly PlaylistPart[]): number {
  return parts.reduce((sum, part) => sum + durationMs(part), 0);
}
