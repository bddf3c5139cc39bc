// Outbound HTTP (docs/ARCHITECTURE.md "Outbound HTTP"): the undici client, named back-off
// policies, and the pieces that protect an upstream (rate window with pause, concurrency limit,
// single-flight, negative cache, per-key token buckets). A leaf library like core/: it imports
// only core/ and undici, so any stage, and worker threads, may use it.
export {
  createHttpClient,
  describe,
  toHeaders,
  type HttpClient,
  type HttpClientOptions,
  type NetFailReason,
  type NetHeaders,
  type NetResult,
  type RequestOptions,
} from './client.js';
export { headerValue, maxAgeMs, parseRetryAfterMs } from './headers.js';
export { Backoff, backoffMs, POLICIES, schedule, type BackoffPolicy, type PolicyName } from './policies.js';
export { createRateLimiter, type RateLimiter } from './rate-limit.js';
export { ConcurrencyLimiter } from './limiter.js';
export { SingleFlight } from './single-flight.js';
export { ExpiringCache } from './expiring-cache.js';
export { KeyedBuckets, TokenBucket } from './token-bucket.js';
export { delay, untilAborted } from './timing.js';
