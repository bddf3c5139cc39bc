// The client's address for per-IP limits. uWS only lets us read it while the request handler
// runs (before any await), so callers read it synchronously. Behind a reverse proxy every client
// shares the proxy's address: limit there instead (docs/OPERATIONS.md "Upstream protection").
import type { RequestCtx } from './respond.js';

export function clientIp(ctx: RequestCtx): string {
  try {
    return Buffer.from(ctx.res.getRemoteAddressAsText()).toString();
  } catch {
    return 'unknown'; // the response was already gone: one shared bucket, never a crash
  }
}
