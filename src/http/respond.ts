// Per-request state and the only functions that write a response. Every write goes through
// send(): it checks the aborted flag and corks, so handlers may call it before or after an
// await alike (uWS examples/AsyncFunction.js).
import type { HttpResponse } from 'uWebSockets.js';
import { monoUs } from '../core/clock.js';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** The error codes of docs/API.md#envelopes: the only values `code` may take. */
export type ApiErrorCode =
  'bad_request' | 'not_found' | 'validation_error' | 'rate_limited' | 'payload_too_large' | 'unavailable' | 'internal_server_error';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  400: '400 Bad Request',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

/** Receives one record per finished (or abandoned) request: latency histogram and counters. */
export interface ResponseRecorder {
  record(status: number, latencyUs: number): void;
  /** The client went away before a response was sent. */
  aborted(): void;
  /** A write skipped because the client was gone or the response was already sent. */
  skipped(reason: 'after_abort' | 'already_sent'): void;
  /** A streamed response waits for the client to drain its socket. */
  backpressured(): void;
}

export type HeaderList = readonly (readonly [string, string])[];

/**
 * One request's state, created synchronously in the uWS handler (HttpRequest is stack-allocated
 * and unusable after the handler returns, so everything needed later is copied here).
 */
export class RequestCtx {
  aborted = false;
  /** A response was started: no other may be. */
  done = false;
  /** The response was completely handed to uWS (end written). */
  finished = false;
  /**
   * Set by a handler that keeps the response open past its synchronous return (streaming, SSE):
   * the router then does not answer 500 for it. Not implied by watchAbort(), which readBody
   * also calls for every request body.
   */
  keepOpen = false;
  private abortWatched = false;
  private abortListeners: (() => void)[] | undefined;

  constructor(
    readonly res: HttpResponse,
    readonly head: boolean,
    readonly requestId: string,
    /** Access-Control-Allow-Origin value for this request, '' when none applies. */
    readonly corsOrigin: string,
    /** Whether the allow-origin value depends on the Origin header (adds `vary: origin`). */
    readonly corsVary: boolean,
    readonly startUs: number,
    readonly recorder: ResponseRecorder,
  ) {}

  /** True once watchAbort() ran: the handler keeps the response open (async or streaming). */
  get watching(): boolean {
    return this.abortWatched;
  }

  /**
   * Attach uWS onAborted (once). The router calls this for every handler that returns a promise,
   * before handing control back to uWS, so no abort can be missed; streaming handlers call it
   * directly. `listener` runs when the client goes away.
   */
  watchAbort(listener?: () => void): void {
    if (listener) (this.abortListeners ??= []).push(listener);
    if (this.abortWatched) return;
    this.abortWatched = true;
    this.res.onAborted(() => {
      this.aborted = true;
      if (!this.finished) this.recorder.aborted();
      const ls = this.abortListeners;
      if (ls) for (const l of ls) l();
    });
  }
}

let isoMs = 0;
let isoText = '';

/**
 * ISO-8601 timestamp for envelopes. Date#toISOString allocates and formats every call; the
 * text is rebuilt only when the millisecond changes, so under load most requests reuse it and
 * it is never stale by even one millisecond.
 */
export function isoTimestamp(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * Write a whole response (status, headers, body) in one corked operation. Returns false and
 * writes nothing when the client has gone or a response was already sent. HEAD requests get
 * the headers and the Content-Length of the body without the body.
 */
export function send(
  ctx: RequestCtx,
  status: number,
  contentType: string,
  body: string | Uint8Array,
  headers?: HeaderList,
  closeConnection = false,
): boolean {
  if (ctx.aborted || ctx.done) {
    ctx.recorder.skipped(ctx.aborted ? 'after_abort' : 'already_sent');
    return false;
  }
  ctx.done = true;
  ctx.finished = true;
  const res = ctx.res;
  res.cork(() => {
    res.writeStatus(statusLine(status));
    writeCommonHeaders(ctx, headers);
    if (status === 204) {
      res.endWithoutBody();
      return;
    }
    res.writeHeader('content-type', contentType);
    if (ctx.head) {
      // uWS adds no Content-Length to a body-less end; HEAD must report the GET body's length.
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      res.writeHeader('content-length', String(length));
      res.endWithoutBody();
    } else if (closeConnection) {
      res.end(body, true);
    } else {
      endWithBackpressure(ctx, body);
    }
  });
  ctx.recorder.record(status, monoUs() - ctx.startUs);
  return true;
}

/**
 * End with tryEnd: what the socket does not take now is written from onWritable as the client
 * reads, never copied into an unbounded uWS buffer. A request pipelined behind a response that
 * is still waiting makes uWS close the connection (it refuses async pipelining), so a client
 * that pipelines without reading holds at most one response in memory (+441 MB for 3,000
 * pipelined kill lists before). uWS times out a socket whose writes make no progress (10 s).
 */
function endWithBackpressure(ctx: RequestCtx, body: string | Uint8Array): void {
  const res = ctx.res;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const [, done] = res.tryEnd(body, size);
  if (done) return;
  ctx.finished = false; // an abort from now on is a client that left before reading it all
  ctx.recorder.backpressured();
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  ctx.watchAbort();
  res.onWritable((offset) => {
    if (ctx.aborted) return true;
    const [ok, finished] = res.tryEnd(bytes.subarray(offset), size);
    if (finished) ctx.finished = true;
    return ok;
  });
}

/** x-request-id, CORS and extra headers; call inside a cork after writeStatus. */
export function writeCommonHeaders(ctx: RequestCtx, headers: HeaderList | undefined): void {
  const res = ctx.res;
  res.writeHeader('x-request-id', ctx.requestId);
  if (ctx.corsOrigin !== '') {
    res.writeHeader('access-control-allow-origin', ctx.corsOrigin);
    res.writeHeader('access-control-expose-headers', 'x-request-id');
  }
  if (ctx.corsVary) res.writeHeader('vary', 'origin');
  if (headers) for (const [k, v] of headers) res.writeHeader(k, v);
}

export function respondJson(ctx: RequestCtx, status: number, bodyText: string, headers?: HeaderList): boolean {
  return send(ctx, status, JSON_TYPE, bodyText, headers);
}

/** Success envelope around an already-serialised JSON value (spliced, not re-encoded). */
export function respondData(ctx: RequestCtx, dataText: string, status = 200): boolean {
  return send(ctx, status, JSON_TYPE, '{"data":' + dataText + ',"timestamp":"' + isoTimestamp() + '"}');
}

export function errorBody(code: ApiErrorCode, message: string, details: Record<string, unknown> | null): string {
  return JSON.stringify({ error: message, code, details, timestamp: isoTimestamp() });
}

export function respondError(
  ctx: RequestCtx,
  status: number,
  code: ApiErrorCode,
  message: string,
  details: Record<string, unknown> | null,
  headers?: HeaderList,
  closeConnection = false,
): boolean {
  return send(ctx, status, JSON_TYPE, errorBody(code, message, details), headers, closeConnection);
}
