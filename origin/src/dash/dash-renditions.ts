/**
 * An ABR stream's DASH manifest: each rendition's video becomes another Representation of the
 * source's video AdaptationSet, over the same segment numbers (the renditions' CMAF segments
 * start where the source's do and carry its numbers, see abr/rendition-low-latency.ts). Each
 * keeps its own template (its init, its Period's names); its presentationTimeOffset puts its
 * first listed segment exactly where the source's segment of that number starts in the Period,
 * so the two line up whatever each track's decode times. No I/O.
 */
import type { DashTimeline } from './dash-timeline.js';
import type { Mpd, MpdAdaptationSet, MpdAlternative } from './mpd.js';

export interface DashRendition {
  name: string;
  timeline: DashTimeline;
}

export function withRenditions(mpd: Mpd, renditions: readonly DashRendition[]): Mpd {
  if (renditions.length === 0) return mpd;
  return {
    ...mpd,
    periods: mpd.periods.map((period) => ({
      ...period,
      adaptationSets: period.adaptationSets.map((set) => (set.track.kind === 'video' ? withAlternatives(set, Number(period.id), renditions) : set)),
    })),
  };
}

function withAlternatives(source: MpdAdaptationSet, periodNumber: number, renditions: readonly DashRendition[]): MpdAdaptationSet {
  const firstNumber = periodNumber + source.startNumber;
  const lastNumber = firstNumber + source.segments.length - 1;
  const alternatives: MpdAlternative[] = [];
  for (const rendition of renditions) {
    const run = rendition.timeline.videoOver(firstNumber, lastNumber);
    const sourceStart = run && source.segments[run.firstNumber - firstNumber]?.start;
    if (!run || sourceStart === undefined || run.set.timescale !== source.timescale) continue;
    const { alternatives: _none, ...set } = run.set;
    alternatives.push({ ...set, id: rendition.name, presentationTimeOffset: source.presentationTimeOffset + run.firstStart - sourceStart });
  }
  return alternatives.length > 0 ? { ...source, alternatives } : source;
}
