/**
 * A movie fragment (ISO/IEC 14496-12 8.8): `moof` with one `traf` per track, then the `mdat`
 * holding the tracks' samples back to back. The fragmenter writes one track per fragment (a
 * CMAF chunk), so that DASH can serve each track's chunks on their own.
 */
import { type BoxWriter, measureBoxes, writeBoxes } from './box-writer.js';
import type { TrackRun } from './track-run.js';

// tfhd flags.
/** Data offsets count from the start of this `moof`, not from the end of the previous data. */
const DEFAULT_BASE_IS_MOOF = 0x020000;
const DEFAULT_SAMPLE_FLAGS_PRESENT = 0x000020;

// trun flags.
const DATA_OFFSET_PRESENT = 0x000001;
const SAMPLE_DURATION_PRESENT = 0x000100;
const SAMPLE_SIZE_PRESENT = 0x000200;
const SAMPLE_FLAGS_PRESENT = 0x000400;
const SAMPLE_COMPOSITION_OFFSETS_PRESENT = 0x000800;

const MDAT_HEADER_SIZE = 8;

/** `runs` in track order; each needs at least one sample. */
export function writeFragment(sequenceNumber: number, runs: readonly TrackRun[]): Uint8Array {
  const moofSize = measureBoxes((w) => writeMovieFragment(w, sequenceNumber, runs, 0));
  const dataSize = runs.reduce((sum, run) => sum + run.data.length, 0);
  return writeBoxes((w) => {
    writeMovieFragment(w, sequenceNumber, runs, moofSize + MDAT_HEADER_SIZE);
    w.box('mdat', () => {
      for (const run of runs) w.bytes(run.data);
    });
  }, moofSize + MDAT_HEADER_SIZE + dataSize);
}

/** `firstDataOffset`: where the first run's samples start, counted from the start of the moof. */
function writeMovieFragment(w: BoxWriter, sequenceNumber: number, runs: readonly TrackRun[], firstDataOffset: number): void {
  w.box('moof', () => {
    w.fullBox('mfhd', 0, 0, () => w.u32(sequenceNumber));
    let dataOffset = firstDataOffset;
    for (const run of runs) {
      writeTrackFragment(w, run, dataOffset);
      dataOffset += run.data.length;
    }
  });
}

/**
 * Fields a run does not need are left out: flags shared by every sample (all audio, video
 * without a keyframe) go once into `tfhd`, and composition offsets only appear with B-frames.
 */
function writeTrackFragment(w: BoxWriter, run: TrackRun, dataOffset: number): void {
  const firstFlags = run.samples[0]?.flags ?? 0;
  const sharedFlags = run.samples.every((sample) => sample.flags === firstFlags);
  const compositionOffsets = run.samples.some((sample) => sample.compositionOffset !== 0);
  w.box('traf', () => {
    w.fullBox('tfhd', 0, DEFAULT_BASE_IS_MOOF | (sharedFlags ? DEFAULT_SAMPLE_FLAGS_PRESENT : 0), () => {
      w.u32(run.trackId);
      if (sharedFlags) w.u32(firstFlags); // default_sample_flags
    });
    // Version 1: a 64-bit baseMediaDecodeTime, which 90 kHz overflows 32 bits of after 13 hours.
    w.fullBox('tfdt', 1, 0, () => w.u64(run.baseDecodeTime));
    const trunFlags =
      DATA_OFFSET_PRESENT |
      SAMPLE_DURATION_PRESENT |
      SAMPLE_SIZE_PRESENT |
      (sharedFlags ? 0 : SAMPLE_FLAGS_PRESENT) |
      (compositionOffsets ? SAMPLE_COMPOSITION_OFFSETS_PRESENT : 0);
    // Version 1 makes the composition offsets signed.
    w.fullBox('trun', compositionOffsets ? 1 : 0, trunFlags, () => {
      w.u32(run.samples.length);
      w.i32(dataOffset);
      for (const sample of run.samples) {
        w.u32(sample.duration);
        w.u32(sample.size);
        if (!sharedFlags) w.u32(sample.flags);
        if (compositionOffsets) w.i32(sample.compositionOffset);
      }
    });
  });
}
