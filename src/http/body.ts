// Request bodies: read as a list of copied chunks with a byte cap, concatenated once at the
// end (not the repeated Buffer.concat per chunk of uWS examples/JsonPost.js).
// The cap is checked against Content-Length before any byte is read and again while streaming,
// which covers chunked bodies that announce no length.
import { respondError, type RequestCtx } from './respond.js';

export const MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(ctx: RequestCtx, maxBytes: number, received: number | null): void {
  // Close the connection: the rest of an oversized body is not worth reading just to keep it alive.
  respondError(ctx, 413, 'payload_too_large', 'Request body too large', { max_bytes: maxBytes, received_bytes: received }, undefined, true);
}

/**
 * Resolve with the whole body, or undefined when a response was already sent (413) or the
 * client went away. Must be called synchronously inside the uWS handler (it attaches onData).
 */
export function readBody(ctx: RequestCtx, maxBytes: number, contentLength: string): Promise<Buffer | undefined> {
  if (contentLength !== '') {
    const announced = Number(contentLength);
    if (Number.isFinite(announced) && announced > maxBytes) {
      tooLarge(ctx, maxBytes, announced);
      return Promise.resolve(undefined);
    }
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let finished = false;
    ctx.watchAbort(() => {
      finished = true;
      resolve(undefined);
    });
    ctx.res.onData((chunk, isLast) => {
      if (finished) return;
      total += chunk.byteLength;
      if (total > maxBytes) {
        finished = true;
        tooLarge(ctx, maxBytes, total);
        resolve(undefined);
        return;
      }
      // uWS neuters the ArrayBuffer when this callback returns: copy it out.
      if (chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) {
        finished = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      }
    });
  });
}
