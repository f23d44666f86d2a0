/** RTMP/FLV media to CMAF (fragmented MP4): the init segment and parts for LL-HLS and DASH. */
export { CmafFragmenter, type CmafChunk, type CmafEvent, type CmafFragmenterOptions, type CmafInit, type CmafPart, type CmafPartTrack, type CmafTrackInit } from './cmaf-fragmenter.js';
export { cmafCodecs, type CmafTrack, type CmafTracks } from './cmaf-track.js';
