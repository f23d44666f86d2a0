// The browser module web/copy-assets.mjs copies here from the hls.js package; its types are the package's.
export { default } from 'hls.js';
export * from 'hls.js';
