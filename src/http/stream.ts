// Streams a 200 response as chunks produced on demand (chunked transfer encoding), pulling the
// next chunk only when the socket has drained. Used when a body could be too large to build at
// once (bulk kills: 100 systems x 1,000 kills is ~400 MB): memory stays at about one chunk.
import { monoUs } from '../core/clock.js';
import { statusLine, writeCommonHeaders, type RequestCtx } from './respond.js';

/**
 * `next()` returns the next chunk, or undefined at the end; it is called only while the client
 * is connected and the previous chunk was accepted. A throw from `next` rejects the returned
 * promise (the router logs it), is recorded as a 500 rather than a client abort, and closes the
 * connection: the status line is already out, so no error envelope can follow.
 */
export function streamChunks(ctx: RequestCtx, contentType: string, next: () => Uint8Array | undefined): Promise<void> {
  if (ctx.aborted || ctx.done) {
    ctx.recorder.skipped(ctx.aborted ? 'after_abort' : 'already_sent');
    return Promise.resolve();
  }
  ctx.done = true;
  ctx.keepOpen = true;
  const res = ctx.res;
  return new Promise((resolve, reject) => {
    let failed = false;
    ctx.watchAbort(() => {
      if (!failed) resolve();
    });
    // Writes as many chunks as the socket takes; true when finished (or failed).
    const pump = (): boolean => {
      try {
        for (;;) {
          if (ctx.aborted) return true;
          const chunk = next();
          if (chunk === undefined) {
            ctx.finished = true;
            res.end();
            ctx.recorder.record(200, monoUs() - ctx.startUs);
            resolve();
            return true;
          }
          if (!res.write(chunk)) {
            ctx.recorder.backpressured();
            return false; // buffered by uWS: the next chunk waits for onWritable
          }
        }
      } catch (err) {
        // res.close() runs onAborted synchronously: reject first, or its resolve() would settle
        // the promise and the router would never log the error; record the 500 and mark the
        // outcome finished first, or onAborted would count a client abort.
        failed = true;
        ctx.finished = true;
        ctx.recorder.record(500, monoUs() - ctx.startUs);
        reject(err);
        res.close();
        return true;
      }
    };
    res.onWritable(() => {
      if (!ctx.aborted) res.cork(pump);
      return true;
    });
    res.cork(() => {
      res.writeStatus(statusLine(200));
      writeCommonHeaders(ctx, undefined);
      res.writeHeader('content-type', contentType);
      pump();
    });
  });
}
