// One class per error code. Check `err.code`, never instanceof: errors cross
// worker boundaries as { code, message } and are rebuilt on the main side.

export type ErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_INGEST_HTTP_STATUS'
  | 'ERR_INGEST_HTTP_BODY'
  | 'ERR_INGEST_TIMEOUT'
  | 'ERR_PARSE_JSON'
  | 'ERR_PARSE_SHAPE'
  | 'ERR_PARSE_TOO_LARGE'
  | 'ERR_VALIDATE_FIELD'
  | 'ERR_RING_FULL'
  | 'ERR_RING_RECORD_TOO_LARGE'
  | 'ERR_PIPELINE_WORKER_CRASH'
  | 'ERR_PIPELINE_STOPPED'
  | 'ERR_ESI_HTTP_STATUS'
  | 'ERR_ESI_BODY'
  | 'ERR_ESI_TIMEOUT'
  | 'ERR_ESI_RATE_LIMITED'
  | 'ERR_SDE_IMPORT'
  | 'ERR_STORE_WRITE'
  | 'ERR_HTTP_BAD_REQUEST'
  | 'ERR_DB_IN_USE';

export class WkError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'WkError';
  }
}

export function hasCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Serialisable form for postMessage / msgpack. */
export interface ErrorData {
  code: string;
  message: string;
}

export function toErrorData(err: unknown): ErrorData {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; message?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : 'ERR_UNKNOWN',
      message: typeof e.message === 'string' ? e.message : String(err), // eslint-disable-line @typescript-eslint/no-base-to-string -- an error-like object may bring its own toString
    };
  }
  return { code: 'ERR_UNKNOWN', message: String(err) };
}
