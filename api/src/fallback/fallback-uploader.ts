import type { Readable } from 'node:stream';
import {
  FallbackNotVideoError,
  FallbackQuotaExceededError,
  FallbackTooSlowError,
  InternalError,
  StreamNotFoundError,
} from '../errors.js';
import type { FallbackInfo, FallbackStore } from '../store/fallback-store.js';
import { limitFor } from '../user-limits.js';
import { ConversionSlots } from './conversion-slots.js';
import type { FallbackFiles } from './fallback-files.js';
import { MediaToolError, convertToFallback, probeMedia } from './media-tools.js';
import type { Resolution } from './output-resolution.js';
import { UploadAdmission } from './upload-admission.js';
import { spoolUpload, tooLarge, type SpoolLimits } from './upload-spool.js';
import type { FallbackWorkArea, FallbackWorkspace } from './work-area.js';

/** Shorter than this, a looped fallback would be mostly switching: refused. */
const MIN_DURATION_S = 1;

export interface FallbackUploaderOptions {
  workArea: Pick<FallbackWorkArea, 'workspace'>;
  files: Pick<FallbackFiles, 'install' | 'remove'>;
  store: Pick<FallbackStore, 'bytesUsed' | 'reserve' | 'release' | 'put'>;
  /** FALLBACK_MAX_BYTES and the upload's time limits. */
  spool: SpoolLimits;
  /** FALLBACK_MAX_BYTES_PER_USER */
  maxBytesPerUser: number;
  /** FALLBACK_MAX_UPLOADS */
  maxUploads: number;
  /** FALLBACK_MAX_UPLOADS_PER_USER */
  maxUploadsPerUser: number;
  /** FALLBACK_MAX_CONVERSIONS */
  maxConversions: number;
  maxDurationS: number;
  maxResolution: Resolution;
  keyframeSeconds: number;
  /** Of each probe and of the conversion. */
  timeoutMs: number;
}

/**
 * Takes a fallback upload from the request body to the stored FLV: spooled to disk as it
 * arrives (bounded in size and time), then, holding one of FALLBACK_MAX_CONVERSIONS slots,
 * probed, converted in a child process and probed again; then its bytes are reserved against
 * the user's limit, the file is moved into place and recorded. A slow client only ever holds
 * its own upload, never a conversion slot.
 */
export class FallbackUploader {
  private readonly admission: UploadAdmission;
  private readonly slots: ConversionSlots;

  constructor(private readonly options: FallbackUploaderOptions) {
    this.admission = new UploadAdmission(options);
    this.slots = new ConversionSlots(options.maxConversions);
  }

  get maxBytes(): number {
    return this.options.spool.maxBytes;
  }

  /** The caller has checked that the stream is the user's; `declaredBytes` is the Content-Length. */
  async upload(userId: string, streamId: string, body: Readable, declaredBytes: number | undefined) {
    const { workArea, files, store, spool } = this.options;
    if (declaredBytes !== undefined && declaredBytes > spool.maxBytes) throw tooLarge(spool.maxBytes);
    const maxBytesPerUser = limitFor(userId, this.options.maxBytesPerUser);
    const leave = this.admission.admit(userId, streamId);
    let workspace: FallbackWorkspace | undefined;
    try {
      const used = await store.bytesUsed(userId, streamId);
      if (used >= maxBytesPerUser) throw new FallbackQuotaExceededError(used, undefined, maxBytesPerUser);
      workspace = await workArea.workspace();
      if ((await spoolUpload(body, workspace.upload, spool)) === 0) throw new FallbackNotVideoError('the body is empty');
      const media = await this.convertInTurn(workspace.upload, workspace.output);
      const sizeBytes = await workspace.outputBytes();
      const usedByOthers = await store.reserve(userId, streamId, sizeBytes, maxBytesPerUser);
      if (usedByOthers !== null) throw new FallbackQuotaExceededError(usedByOthers, sizeBytes, maxBytesPerUser);
      let stored;
      try {
        await files.install(workspace.output, streamId);
        stored = await store.put(userId, streamId, { ...media, sizeBytes });
      } catch (error) {
        await store.release(userId, streamId).catch(() => undefined);
        throw error;
      }
      if (!stored) {
        // The stream was deleted while its video was converted.
        await files.remove(streamId);
        throw new StreamNotFoundError(streamId);
      }
      return stored;
    } finally {
      leave();
      await workspace?.dispose();
    }
  }

  private async convertInTurn(upload: string, output: string) {
    const giveBack = await this.slots.acquire();
    try {
      return await this.convert(upload, output);
    } finally {
      giveBack();
    }
  }

  private async convert(upload: string, output: string): Promise<Omit<FallbackInfo, 'sizeBytes' | 'updatedAt' | 'version'>> {
    const { maxDurationS, maxResolution, keyframeSeconds, timeoutMs } = this.options;
    const names = { [upload]: 'the upload', [output]: 'the output' };
    try {
      const input = await probeMedia(upload, timeoutMs, names);
      if (!input.video) {
        const found = input.streams.length > 0 ? input.streams.join(', ') : 'no streams';
        throw new FallbackNotVideoError(`it has no video stream (found: ${found})`);
      }
      await convertToFallback({
        input: upload,
        output,
        hasAudio: input.hasAudio,
        fps: input.video.fps,
        maxDurationS,
        maxResolution,
        keyframeSeconds,
        timeoutMs,
        names,
      });
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
