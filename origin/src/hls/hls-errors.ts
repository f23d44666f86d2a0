/** Failures of the HLS folder. Each names the path, so one broken stream is easy to find. */

export class HlsWriteError extends Error {
  readonly code = 'LIVE_ERR_HLS_WRITE';
  override readonly name = 'HlsWriteError';
  constructor(
    readonly path: string,
    action: string,
    cause: unknown,
  ) {
    super(`cannot ${action} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class StreamWriterClosedError extends Error {
  readonly code = 'LIVE_ERR_HLS_WRITER_CLOSED';
  override readonly name = 'StreamWriterClosedError';
  constructor(readonly folder: string) {
    super(`the HLS writer for ${folder} is closed (stream cleaned up or origin stopping)`);
  }
}

export class InvalidStreamNameError extends Error {
  readonly code = 'LIVE_ERR_HLS_STREAM_NAME';
  override readonly name = 'InvalidStreamNameError';
  constructor(readonly streamName: string) {
    super(`stream name ${JSON.stringify(streamName)} is invalid: expected 1 to 128 of A-Z a-z 0-9 _ -`);
  }
}
