// Response body decoding for the outbound client: we ask for gzip and br (ESI bodies shrink
// ~5-10x) and decompress while reading, so the body cap applies to what we would hold in memory,
// the decoded bytes (a small compressed body that inflates to gigabytes is cut at the cap).
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { NetHeaders } from './client.js';
import { headerValue } from './headers.js';

/** What the client sends as accept-encoding unless the caller sets its own. */
export const ACCEPT_ENCODING = 'gzip, br';

/**
 * The body as a stream of decoded bytes, or undefined when it is not encoded (or encoded in a
 * way we did not ask for: then the caller gets the bytes as sent). Errors of either side end the
 * returned stream with that error; undici's body is destroyed with it.
 */
export function decodedBody(body: Readable, headers: NetHeaders): Readable | undefined {
  const enc = headerValue(headers, 'content-encoding')?.trim().toLowerCase();
  const decoder =
    enc === 'gzip' || enc === 'x-gzip'
      ? createGunzip()
      : enc === 'br'
        ? createBrotliDecompress()
        : enc === 'deflate'
          ? createInflate()
          : undefined;
  if (decoder === undefined) return undefined;
  return pipeline(body, decoder, () => undefined);
}

/** The headers a caller sees for a decoded body: no content-encoding or (encoded) content-length. */
export function decodedHeaders(headers: NetHeaders): NetHeaders {
  const out: NetHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (k !== 'content-encoding' && k !== 'content-length') out[k] = v;
  return out;
}
