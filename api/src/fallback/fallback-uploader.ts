import type { Readable } from 'node:stream';
import {
  FallbackBusyError,
  FallbackInProgressError,
  FallbackNotVideoError,
  FallbackTooSlowError,
  InternalError,
  StreamNotFoundError,
} from '../errors.js';
import type { FallbackInfo, FallbackStore } from '../store/fallback-store.js';
import { saveUpload, tooLarge, type FallbackFiles, type FallbackWorkspace } from './fallback-files.js';
import { MediaToolError, convertToFallback, probeMedia } from './media-tools.js';

/** Shorter than this, a looped fallback would be mostly switching: refused. */
const MIN_DURATION_S = 1;

/** Retry-After of a 503 when every conversion slot is busy. */
const BUSY_RETRY_AFTER_S = 10;

export interface FallbackUploaderOptions {
  files: FallbackFiles;
  store: Pick<FallbackStore, 'put'>;
  maxBytes: number;
  maxDurationS: number;
  keyframeSeconds: number;
  timeoutMs: number;
  maxConversions: number;
}

/**
 * Takes a fallback upload from the request body to the stored FLV: saved to disk as it arrives,
 * probed, converted once in a child process, probed again, moved into place and recorded. At
 * most `maxConversions` run at once per API instance, and one per stream.
 */
export class FallbackUploader {
  private readonly converting = new Set<string>();

  constructor(private readonly options: FallbackUploaderOptions) {}

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** The caller has checked that the stream is the user's; `declaredBytes` is the Content-Length. */
  async upload(userId: string, streamId: string, body: Readable, declaredBytes: number | undefined) {
    const { files, store, maxBytes, maxConversions } = this.options;
    if (declaredBytes !== undefined && declaredBytes > maxBytes) throw tooLarge(maxBytes);
    if (this.converting.has(streamId)) throw new FallbackInProgressError(streamId);
    if (this.converting.size >= maxConversions) throw new FallbackBusyError(maxConversions, BUSY_RETRY_AFTER_S);
    this.converting.add(streamId);
    let workspace: FallbackWorkspace | undefined;
    try {
      workspace = await files.workspace();
      if ((await saveUpload(body, workspace.upload, maxBytes)) === 0) throw new FallbackNotVideoError('the body is empty');
      const media = await this.convert(workspace.upload, workspace.output);
      const sizeBytes = await files.install(workspace.output, streamId);
      const stored = await store.put(userId, streamId, { ...media, sizeBytes });
      if (!stored) {
        // The stream was deleted while its video was converted.
        await files.remove(streamId);
        throw new StreamNotFoundError(streamId);
      }
      return stored;
    } finally {
      this.converting.delete(streamId);
      await workspace?.dispose();
    }
  }

  private async convert(upload: string, output: string): Promise<Omit<FallbackInfo, 'sizeBytes' | 'updatedAt' | 'version'>> {
    const { maxDurationS, keyframeSeconds, timeoutMs } = this.options;
    const names = { [upload]: 'the upload', [output]: 'the output' };
    try {
      const input = await probeMedia(upload, timeoutMs, names);
      if (!input.video) {
        const found = input.streams.length > 0 ? input.streams.join(', ') : 'no streams';
        throw new FallbackNotVideoError(`it has no video stream (found: ${found})`);
      }
      await convertToFallback({ input: upload, output, hasAudio: input.hasAudio, fps: input.video.fps, maxDurationS, keyframeSeconds, timeoutMs, names });
      const converted = await probeMedia(output, timeoutMs, names);
      if (!converted.video) throw new FallbackNotVideoError('the conversion produced no video');
      const durationS = converted.durationS ?? 0;
      if (durationS < MIN_DURATION_S) throw new FallbackNotVideoError(`it is shorter than ${MIN_DURATION_S} s (${durationS} s)`);
      return { durationS, width: converted.video.width, height: converted.video.height };
    } catch (error) {
      if (!(error instanceof MediaToolError)) throw error;
      if (error.kind === 'timeout') throw new FallbackTooSlowError(timeoutMs / 1000);
      if (error.kind === 'missing') throw new InternalError(error);
      throw new FallbackNotVideoError(error.detail);
    }
  }
}
