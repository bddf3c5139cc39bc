// The one outbound HTTP client of webhook delivery: undici with a pooled keep-alive Agent
// (connections reused per receiver origin), a connect-time SSRF check on the address actually
// dialled (ssrf.ts guardedLookup; IP-literal hosts are checked before the request, since no
// lookup happens for them), a hard timeout, and no redirect following (undici's request() never
// follows them: a 3xx is a failed delivery). Kept in one file so a shared outbound layer can
// replace it.
import { Agent, request } from 'undici';
import { isIP } from 'node:net';
import { bareHost, classifyAddress, guardedLookup, SsrfError, type Resolver } from './ssrf.js';

export interface PostResult {
  status: number;
}

export interface WebhookPoster {
  /** POST `body`; resolves with the status (any), rejects on network errors, timeouts and SSRF refusals. */
  post(url: string, body: string, headers: Record<string, string>): Promise<PostResult>;
  close(): Promise<void>;
}

export interface PosterOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Pooled connections per receiver origin (the per-host concurrency cap). */
  connectionsPerOrigin: number;
  resolver?: Resolver;
}

export function createPoster(opts: PosterOptions): WebhookPoster {
  const agent = new Agent({
    connections: opts.connectionsPerOrigin,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: {
      timeout: opts.timeoutMs,
      ...(!opts.allowPrivate && { lookup: guardedLookup(opts.resolver) }),
    },
  });
  return {
    async post(url, body, headers) {
      if (!opts.allowPrivate) {
        const host = bareHost(new URL(url));
        const reason = isIP(host) !== 0 ? classifyAddress(host) : null;
        if (reason) throw new SsrfError(`webhook host ${host} is a ${reason} address`);
      }
      const res = await request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: agent,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      // Drain (bounded): the connection goes back to the pool only once the body is consumed.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return { status: res.statusCode };
    },
    close: () => agent.close(),
  };
}
