// Minimal ESI killmail fetch for short RedisQ packages and bare zKB references:
// GET {esi}/killmails/{id}/{hash}/ with the User-Agent and X-Compatibility-Date ESI asks for.
// The full client (rate limits, ETag, caches) is enrich/'s; worker-deps.ts swaps it in.
import { WkError } from '../core/errors.js';
import type { FetchKillmail } from './normalise.js';

export interface KillmailFetchOptions {
  esiUrl: string;
  userAgent: string;
  compatibilityDate: string;
  timeoutMs: number;
}

export function createKillmailFetcher(o: KillmailFetchOptions): FetchKillmail {
  const base = o.esiUrl.replace(/\/+$/, '');
  const headers = {
    'user-agent': o.userAgent,
    'x-compatibility-date': o.compatibilityDate,
    accept: 'application/json',
  };
  return async (killmailId, hash) => {
    const url = `${base}/killmails/${killmailId}/${encodeURIComponent(hash)}/`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(o.timeoutMs) });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new WkError(
        timedOut ? 'ERR_ESI_TIMEOUT' : 'ERR_ESI_HTTP_STATUS',
        timedOut ? `GET ${url}: no answer within ${o.timeoutMs} ms` : `GET ${url}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new WkError('ERR_ESI_HTTP_STATUS', `GET ${url}: HTTP ${res.status}`);
    }
    try {
      return await res.json();
    } catch (err) {
      throw new WkError('ERR_ESI_BODY', `GET ${url}: body is not JSON`, { cause: err });
    }
  };
}
