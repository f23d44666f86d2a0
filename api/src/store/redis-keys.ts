/**
 * Every Redis key the API uses, in one place. Ids and names are validated by the route schemas
 * (see schemas.ts) before they reach a key, so they never contain `:`, spaces or braces.
 *
 * Durable (no TTL; kept across API and Redis restarts by AOF):
 *
 *   users                      ZSET    member user id, score its creation order: created_at (unix
 *                                      ms), or one more than the newest score when that is not
 *                                      earlier (creation-order.ts), so ties never happen
 *   user:<user>                HASH    id, name, created_at, recording_quota_bytes (the admin's
 *                                      override of RECORDING_QUOTA_BYTES; absent: the setting)
 *   user:<user>:tokens         ZSET    member token id, score its creation order (as `users`)
 *   user:<user>:streams        ZSET    member stream id, score its creation order (as `users`)
 *   token:<token>              HASH    id, user_id, name, secret_sha256 (hex), created_at
 *   stream:<stream>            HASH    id, user_id, name, created_at, updated_at,
 *                                      require_signed_urls ('1' or '0'), allowed_origins (JSON
 *                                      array of lowercase host patterns); a stream stored before
 *                                      these two fields has neither: '0' and [] (open playback);
 *                                      recorded_bytes: the sum of its videos' counted_bytes (what
 *                                      the user's recording quota counts); recording_status
 *                                      'quota-exceeded' when its latest session was not recorded,
 *                                      or stopped being, because its owner reached the quota
 *                                      (absent: nothing stopped it)
 *   stream:<stream>:keys       HASH    rtmp_secret, rtmp_generation, srt_secret, srt_generation:
 *                                      kept apart from the stream so that reading a stream for a
 *                                      listing never loads a secret
 *   stream:<stream>:targets    HASH    field target id, value JSON of the restream target
 *                                      {id, name, platform, stream_url (null: the platform's
 *                                      setting), enabled, retry_attempts, retry_delay_s,
 *                                      created_at, updated_at, sequence (the restream version
 *                                      its creation produced: listing order)}; never the key
 *   stream:<stream>:target-keys HASH   field target id, value the target's stream key (secret;
 *                                      kept apart like stream:<stream>:keys)
 *   stream:<stream>:fallback   HASH    size_bytes, duration_s, width, height, updated_at, version:
 *                                      the converted fallback video FALLBACK_PATH/<stream>.flv
 *   stream:<stream>:restream-version
 *                              STRING  counter, INCR on every create, update and delete of a
 *                                      target and every fallback put and delete: origins refetch
 *                                      the restream configuration when it changes (0 if absent)
 *   stream:<stream>:pull       HASH    url (secret: may carry credentials or a secret query),
 *                                      created_at: the stream's pull source (issue 15)
 *   pulls                      SET     member stream id: every stream with a pull, the index
 *                                      origins claim from; a member whose stream:<stream>:pull is
 *                                      gone is removed by the next claim
 *   views:<stream>             STRING  counter: viewing sessions started (a session the edges had
 *                                      not seen within VIEWER_IDLE_SECONDS); see viewer-store.ts
 *   time-viewed:<stream>       STRING  counter: ms viewed, summed over sessions' gaps between
 *                                      sightings shorter than VIEWER_IDLE_SECONDS
 *                                      Both exist only for a stream that exists (the script that
 *                                      counts checks stream:<stream>), so open names and deleted
 *                                      streams leave none behind.
 *
 *   stream:<stream>:videos     ZSET    member video uid, score its creation time (unix ms, as the
 *                                      origin reported it): the stream's videos, listed newest
 *                                      first
 *   video:<uid>                HASH    stream, origin_id, origin_host, state, created, ended ('':
 *                                      null), duration_s, size_bytes, width, height ('': unknown),
 *                                      modified (the API's time of the last report that changed a
 *                                      field), counted_bytes (the size_bytes added to the stream's
 *                                      recorded_bytes; absent: 0): the origin's last report of the recording, see
 *                                      video-store.ts. A video of an open name (RECORD_OPEN_NAMES)
 *                                      has no stream to be listed under: video:<uid> only, removed
 *                                      by the report after the name stops being open.
 *                                      Deleting a stream (or its user) deletes its videos' keys in
 *                                      the same script, through stream:<stream>:videos; the files
 *                                      go at the origin's next report (keep: false).
 *
 *   videos:in-progress         ZSET    member video uid, score when its origin last reported it
 *                                      live-inprogress (the API's unix ms); a ready report, a
 *                                      deletion or a withdrawal removes it. Members older than
 *                                      VIDEO_REPORT_TIMEOUT_SECONDS are withdrawn (their origin
 *                                      vanished); a member whose video is gone is just removed.
 *
 *   The built-in admin user (id `admin`) is not stored; its `user:admin:streams` is.
 *
 * Live state (every key has a TTL, so it disappears by itself when its reporter goes away):
 *
 *   live:origins:<stream>      ZSET    origins holding the stream      } written by RouteStore,
 *   live:registered:<stream>   ZSET    when each origin's run began    } see route-store.ts
 *   live:manifests:<stream>    HASH    manifest path per origin        }
 *   live:ended:<stream>        HASH    origins whose playlist ended,   }
 *                                      kept for the ended grace period }
 *   publisher:<stream>         HASH    origin_id, session_id, started_at: the one publisher allowed
 *                                      on the stream; PEXPIRE PUBLISH_LEASE_SECONDS, renewed by
 *                                      the origin's heartbeats
 *   ingest:<origin>            STRING  JSON of the origin's last heartbeat; PEXPIRE INGEST_TTL_SECONDS
 *   ingests                    ZSET    member origin id, score expiry (unix ms) of its heartbeat:
 *                                      the index of live origins, pruned on every read and write;
 *                                      PEXPIRE INGEST_TTL_SECONDS from the last heartbeat of any origin
 *   restream-status:<stream>   HASH    field target id, value JSON of the last status an origin
 *                                      reported for it, with origin_id and reported_at_ms; the
 *                                      key PEXPIREs RESTREAM_STATUS_TTL_SECONDS after each report,
 *                                      and a field older than that is not shown
 *   pull-lease:<stream>        STRING  origin id running the stream's pull; PX PULL_LEASE_SECONDS,
 *                                      renewed by each of that origin's claims (pull-store.ts)
 *   pull-status:<stream>       STRING  JSON of the pull's last status its origin reported, with
 *                                      origin_id and reported_at; PX PULL_LEASE_SECONDS
 *   user:<user>:fallback-reservations
 *                              HASH    field stream id, value "<bytes> <expiry unix ms>": the size
 *                                      of a converted fallback about to be recorded, counted for
 *                                      FALLBACK_MAX_BYTES_PER_USER until stream:<stream>:fallback
 *                                      has it (a reservation lives 60 s at most; the key PEXPIREs
 *                                      as long after each reservation)
 *   video-deleted:<uid>        STRING  '1': the video was deleted through /v1, so its origin's next
 *                                      report answers keep: false and removes the files; EX
 *                                      VIDEO_TOMBSTONE_SECONDS (7 days by default: an origin
 *                                      offline for longer re-registers what it still holds)
 *   viewers:<stream>           ZSET    member viewing session id (the edge's), score when an edge
 *                                      last saw it (unix ms); members older than
 *                                      VIEWER_IDLE_SECONDS are pruned on every write and read, and
 *                                      the key PEXPIREs VIEWER_IDLE_SECONDS after each write
 *
 * `<stream>` in live state is the public name the media is packaged under: a stream id, or an
 * open name from ALLOWED_STREAMS (open names never take the shape of a stream id).
 */

export const USERS = 'users';
export const userKey = (userId: string) => `user:${userId}`;
export const userTokensKey = (userId: string) => `user:${userId}:tokens`;
export const userStreamsKey = (userId: string) => `user:${userId}:streams`;
export const userFallbackReservationsKey = (userId: string) => `user:${userId}:fallback-reservations`;
export const tokenKey = (tokenId: string) => `token:${tokenId}`;
export const streamKey = (streamId: string) => `stream:${streamId}`;
export const streamSecretsKey = (streamId: string) => `stream:${streamId}:keys`;
export const streamTargetsKey = (streamId: string) => `stream:${streamId}:targets`;
export const streamTargetKeysKey = (streamId: string) => `stream:${streamId}:target-keys`;
export const streamFallbackKey = (streamId: string) => `stream:${streamId}:fallback`;
export const restreamVersionKey = (streamId: string) => `stream:${streamId}:restream-version`;
export const streamVideosKey = (streamId: string) => `stream:${streamId}:videos`;
export const videoKey = (uid: string) => `video:${uid}`;
export const videoTombstoneKey = (uid: string) => `video-deleted:${uid}`;
export const VIDEOS_IN_PROGRESS = 'videos:in-progress';
export const streamPullKey = (streamId: string) => `stream:${streamId}:pull`;
export const PULLS = 'pulls';
export const pullLeaseKey = (stream: string) => `pull-lease:${stream}`;
export const pullStatusKey = (stream: string) => `pull-status:${stream}`;

export const liveOriginsKey = (stream: string) => `live:origins:${stream}`;
export const liveRegisteredKey = (stream: string) => `live:registered:${stream}`;
export const liveManifestsKey = (stream: string) => `live:manifests:${stream}`;
export const liveEndedKey = (stream: string) => `live:ended:${stream}`;
export const publisherKey = (stream: string) => `publisher:${stream}`;
export const ingestKey = (originId: string) => `ingest:${originId}`;
export const INGESTS = 'ingests';
export const restreamStatusKey = (stream: string) => `restream-status:${stream}`;
export const viewersKey = (stream: string) => `viewers:${stream}`;
export const viewsKey = (stream: string) => `views:${stream}`;
export const timeViewedKey = (stream: string) => `time-viewed:${stream}`;

/**
 * Every key that belongs to one stream, durable and live: what deleting the stream removes. Its
 * videos' own keys (video:<uid>) are found through stream:<stream>:videos (DELETE_VIDEOS_LUA).
 */
export function streamOwnedKeys(streamId: string): string[] {
  return [
    streamKey(streamId),
    streamSecretsKey(streamId),
    streamTargetsKey(streamId),
    streamTargetKeysKey(streamId),
    streamFallbackKey(streamId),
    streamPullKey(streamId),
    pullLeaseKey(streamId),
    pullStatusKey(streamId),
    restreamVersionKey(streamId),
    streamVideosKey(streamId),
    viewsKey(streamId),
    timeViewedKey(streamId),
    restreamStatusKey(streamId),
    viewersKey(streamId),
    publisherKey(streamId),
    liveOriginsKey(streamId),
    liveRegisteredKey(streamId),
    liveManifestsKey(streamId),
    liveEndedKey(streamId),
  ];
}

/** Stands in for an id in key templates handed to Lua scripts (ids never contain braces). */
export const ID_PLACEHOLDER = '{id}';
