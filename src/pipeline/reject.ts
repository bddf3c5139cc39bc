// A rejected entry: bad input is data, so each rejection carries the FailReason it is
// counted under and an error code from core/errors.ts for logs.
import { WkError, type ErrorCode } from '../core/errors.js';
import type { FailReason } from '../core/ports.js';

const CODE_OF: Record<FailReason, ErrorCode> = {
  json: 'ERR_PARSE_JSON',
  shape: 'ERR_PARSE_SHAPE',
  too_large: 'ERR_PARSE_TOO_LARGE',
  missing_field: 'ERR_VALIDATE_FIELD',
  wrong_type: 'ERR_VALIDATE_FIELD',
  esi_fetch: 'ERR_ESI_BODY',
  dead_letter: 'ERR_PIPELINE_WORKER_CRASH',
};

export class EntryRejected extends WkError {
  readonly reason: FailReason;
  constructor(reason: FailReason, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? CODE_OF[reason], message, options);
    this.reason = reason;
    this.name = 'EntryRejected';
  }
}

export function isEntryRejected(err: unknown): err is EntryRejected {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { reason?: unknown }).reason === 'string' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

export function missing(path: string): EntryRejected {
  return new EntryRejected('missing_field', `${path}: required`);
}

export function wrongType(path: string, expected: string, got: unknown): EntryRejected {
  const kind = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  return new EntryRejected('wrong_type', `${path}: expected ${expected}, got ${kind}`);
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
