/**
 * The init segment (CMAF header): `ftyp` + `moov` describing the tracks with no samples in the
 * sample tables, plus `mvex`, which says the samples come in movie fragments. Players load it
 * once (EXT-X-MAP, DASH Initialization) and again after a discontinuity.
 */
import { type BoxWriter, writeBoxes } from './box-writer.js';
import type { CmafTrack } from './cmaf-track.js';
import { writeAacSampleEntry, writeAvcSampleEntry } from './sample-entry.js';

/**
 * 'iso6': the ISO BMFF brand whose feature set covers what the fragments use (default-base-is-moof,
 * 64-bit tfdt, trun version 1 with signed composition offsets). 'mp41': the MP4 file format
 * (esds), for parsers that look for it. 'cmfc' (CMAF structural brand) only when the file holds a
 * single track: a CMAF track file holds one, so a muxed audio+video file must not claim it.
 * ffmpeg's `-movflags cmaf` writes the same three.
 */
const MAJOR_BRAND = 'iso6';
const BASE_BRANDS = ['iso6', 'mp41'];
const CMAF_BRAND = 'cmfc';

/** mvhd's timescale; only durations, all zero for a live stream, count in it. */
const MOVIE_TIMESCALE = 1000;
/** track_enabled | track_in_movie. */
const TRACK_HEADER_FLAGS = 0x000003;
/** 'url ' flag: the media is in the same file (here: in the fragments). */
const SELF_CONTAINED = 0x000001;
/** ISO 639-2 'und', packed as three 5-bit letters (each minus 0x60). */
const LANGUAGE_UNDETERMINED = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
/** The unity transformation matrix of mvhd and tkhd, in 16.16 and 2.30 fixed point. */
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

export function writeInitSegment(tracks: readonly CmafTrack[]): Uint8Array {
  return writeBoxes((w) => {
    w.box('ftyp', () => {
      w.fourCc(MAJOR_BRAND);
      w.u32(0); // minor_version
      for (const brand of tracks.length === 1 ? [...BASE_BRANDS, CMAF_BRAND] : BASE_BRANDS) w.fourCc(brand);
    });
    w.box('moov', () => {
      writeMovieHeader(w, Math.max(...tracks.map((t) => t.id)) + 1);
      for (const track of tracks) writeTrack(w, track);
      w.box('mvex', () => {
        for (const track of tracks) writeTrackExtends(w, track);
      });
    });
  });
}

function writeMovieHeader(w: BoxWriter, nextTrackId: number): void {
  w.fullBox('mvhd', 0, 0, () => {
    w.u32(0); // creation_time
    w.u32(0); // modification_time
    w.u32(MOVIE_TIMESCALE);
    w.u32(0); // duration: unknown, the movie grows in fragments
    w.u32(0x00010000); // rate 1.0
    w.u16(0x0100); // volume 1.0
    w.zeros(2 + 8); // reserved (16 bits + 2 x 32 bits)
    for (const value of UNITY_MATRIX) w.u32(value);
    w.zeros(24); // pre_defined (6 x 32 bits)
    w.u32(nextTrackId);
  });
}

function writeTrack(w: BoxWriter, track: CmafTrack): void {
  w.box('trak', () => {
    writeTrackHeader(w, track);
    w.box('mdia', () => {
      w.fullBox('mdhd', 0, 0, () => {
        w.u32(0); // creation_time
        w.u32(0); // modification_time
        w.u32(track.timescale);
        w.u32(0); // duration
        w.u16(LANGUAGE_UNDETERMINED); // pad (1 bit) + language (15 bits)
        w.u16(0); // pre_defined
      });
      w.fullBox('hdlr', 0, 0, () => {
        w.u32(0); // pre_defined
        w.fourCc(track.kind === 'video' ? 'vide' : 'soun');
        w.zeros(12); // reserved (3 x 32 bits)
        w.bytes(new TextEncoder().encode(track.kind === 'video' ? 'VideoHandler\0' : 'SoundHandler\0'));
      });
      w.box('minf', () => {
        if (track.kind === 'video') {
          // graphicsmode 0 (copy), opcolor (3 x 16 bits); flags 1 as the spec requires.
          w.fullBox('vmhd', 0, 1, () => w.zeros(8));
        } else {
          // balance 0 (centre), reserved (16 bits).
          w.fullBox('smhd', 0, 0, () => w.zeros(4));
        }
        w.box('dinf', () => {
          w.fullBox('dref', 0, 0, () => {
            w.u32(1); // entry_count
            w.fullBox('url ', 0, SELF_CONTAINED, () => {});
          });
        });
        writeSampleTable(w, track);
      });
    });
  });
}

function writeTrackHeader(w: BoxWriter, track: CmafTrack): void {
  const width = track.kind === 'video' ? (track.config.info.width ?? 0) : 0;
  const height = track.kind === 'video' ? (track.config.info.height ?? 0) : 0;
  w.fullBox('tkhd', 0, TRACK_HEADER_FLAGS, () => {
    w.u32(0); // creation_time
    w.u32(0); // modification_time
    w.u32(track.id);
    w.u32(0); // reserved
    w.u32(0); // duration
    w.zeros(8); // reserved (2 x 32 bits)
    w.u16(0); // layer
    w.u16(0); // alternate_group
    w.u16(track.kind === 'audio' ? 0x0100 : 0); // volume: 1.0 for audio
    w.u16(0); // reserved
    for (const value of UNITY_MATRIX) w.u32(value);
    // width, height (16.16): the picture size after cropping, from the SPS.
    w.u32(width * 0x10000);
    w.u32(height * 0x10000);
  });
}

/** One sample entry and empty tables: every sample is described by the fragments' `trun`. */
function writeSampleTable(w: BoxWriter, track: CmafTrack): void {
  w.box('stbl', () => {
    w.fullBox('stsd', 0, 0, () => {
      w.u32(1); // entry_count
      if (track.kind === 'video') writeAvcSampleEntry(w, track);
      else writeAacSampleEntry(w, track);
    });
    w.fullBox('stts', 0, 0, () => w.u32(0));
    w.fullBox('stsc', 0, 0, () => w.u32(0));
    w.fullBox('stsz', 0, 0, () => {
      w.u32(0); // sample_size: sizes given per sample
      w.u32(0); // sample_count
    });
    w.fullBox('stco', 0, 0, () => w.u32(0));
  });
}

/** Defaults for the fragments; each `tfhd`/`trun` states what it needs, so they are all zero. */
function writeTrackExtends(w: BoxWriter, track: CmafTrack): void {
  w.fullBox('trex', 0, 0, () => {
    w.u32(track.id);
    w.u32(1); // default_sample_description_index
    w.u32(0); // default_sample_duration
    w.u32(0); // default_sample_size
    w.u32(0); // default_sample_flags
  });
}
