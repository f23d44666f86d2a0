/** The /v1 answers the dashboard reads (the API's OpenAPI document at /docs has them all). */
import type { IngestAudio, IngestVideo } from './format.js';

/** The caller's recordings against their quota (quotaBytes null: not limited). */
export interface Storage {
  usedBytes: number;
  quotaBytes: number | null;
}

export interface Me {
  id: string;
  name: string;
  admin: boolean;
  storage: Storage;
}

export interface Stream {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  require_signed_urls: boolean;
  allowed_origins: string[];
  /** Seed 004's recording setting. */
  recording: { mode: 'off' | 'automatic'; timeoutSeconds: number };
  /** Why the latest session was not (or no longer) recorded; null: nothing stopped it. */
  recordingStatus: 'quota-exceeded' | null;
  /** Issue 13's adaptive bitrate: renditions beside the source; ladder null is the default one. */
  abr: { enabled: boolean; ladder: { height: number; bitrate_bps: number }[] | null };
}

export interface Ingest {
  bitrate_bps: number;
  video: IngestVideo | null;
  audio: IngestAudio | null;
  /** Present when the stream asks for ABR (internal-api/src/abr-contract.ts). */
  abr?: AbrStatus;
}

export interface AbrStatus {
  state: 'over-limit' | 'waiting-for-source' | 'source-only' | 'starting' | 'running' | 'restarting' | 'ended' | string;
  renditions: string[];
  restarts: number;
  last_stop?: string;
}

export type PushState = 'idle' | 'disabled' | 'connecting' | 'live' | 'retrying' | 'failed' | string;

export interface PushStatus {
  state: PushState;
  since: string | null;
  bytes_sent: number;
  bitrate_bps: number;
  attempts: number;
  last_error: { code: string | null; message: string; at: string | null } | null;
  next_retry_at: string | null;
  skipped_keyframes: number;
}

export interface Lifecycle {
  live: boolean;
  live_since: string | null;
  origin: string | null;
  /** away: the publisher left and the origin holds the stream for its return (the fallback video plays, when set). */
  publisher: 'connected' | 'away' | null;
  ingest?: Ingest | null;
  restream: ({ id: string; name: string; platform: string; enabled: boolean } & PushStatus)[];
  /** The source an origin pulls this stream from; null without one. */
  pull?: Pull | null;
}

/** A pull source as the API shows it: its URL with credentials and query values as ****. */
export interface Pull {
  url: string;
  created_at: string;
  /** Null until an origin claims the pull and reports on it. */
  status: { state: 'connecting' | 'live' | 'retrying'; since: string; attempts: number; last_error: string | null } | null;
}

export interface Views {
  liveViewers: number;
  views: number;
  time_viewed_s: number;
}

export interface StreamKey {
  protocol: 'rtmp' | 'srt' | 'websocket';
  stream_key: string;
}

export interface IngestServer {
  name: string;
  region: string;
  url_template: string;
  priority: number;
}

export interface RestreamTarget {
  id: string;
  name: string;
  platform: string;
  stream_url: string;
  stream_key: string;
  enabled: boolean;
  status: PushStatus | null;
}

export interface Fallback {
  size_bytes: number;
  duration_s: number;
  width: number;
  height: number;
  updated_at: string;
}

export interface User {
  id: string;
  name: string;
  created_at: string;
}

/** One user as the admin views it (GET /v1/users/:id). */
export interface UserView extends User {
  storage: Storage;
}

export interface ApiToken {
  id: string;
  name: string;
  created_at: string;
}

export interface CreatedToken extends ApiToken {
  token: string;
}

/** Seed 004's video: one recorded session of a stream. */
export interface Video {
  uid: string;
  created: string;
  modified: string;
  /** Seconds; -1 while live-inprogress. */
  duration: number;
  size: number;
  input: { width: number; height: number };
  status: { state: 'live-inprogress' | 'ready' | string };
  readyToStream: boolean;
  playback: { hls: string };
  thumbnail: string;
  liveInput: string;
  meta: { name: string };
}
