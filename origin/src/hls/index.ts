export * from './atomic-file.js';
export * from './hls-directory-writer.js';
export * from './hls-errors.js';
export * from './hls-names.js';
export * from './hls-settings.js';
export * from './hls-stream-writer.js';
export * from './live-playlist.js';
export * from './stream-folder.js';
