// Every retry and back-off schedule of the outbound calls, by name, in one place: how long the
// feeds, the ESI client, the zKB API and the refetch/retry queues wait after a failure. Each
// caller picks a policy; none keeps its own numbers. Why each number is what it is sits beside it.

export interface BackoffPolicy {
  /** Wait after the first failure. */
  readonly firstMs: number;
  /** Each further failure multiplies the wait by this (1 = constant). */
  readonly factor: number;
  /** The wait never exceeds this. */
  readonly maxMs: number;
  /** ± share of the wait drawn at random (0.5 → 50 %..150 %), so many clients do not retry in step. */
  readonly jitter: number;
  /** Tries in total, the first included (Infinity: a poll loop that never gives up). */
  readonly maxAttempts: number;
}

export const POLICIES = {
  /** R2Z2/RedisQ 5xx, network, timeout, truncated: quick at first, a long poll loop after. */
  feedError: { firstMs: 1000, factor: 2, maxMs: 30_000, jitter: 0, maxAttempts: Infinity },
  /**
   * R2Z2 403/429 without Retry-After: zKillboard turns repeated violations into an hour-long ban,
   * so start at a minute and go to 15.
   */
  feedBlocked: { firstMs: 60_000, factor: 2, maxMs: 900_000, jitter: 0, maxAttempts: Infinity },
  /** ESI 5xx, timeouts, network errors, truncated bodies: three tries within about two seconds. */
  esiTransient: { firstMs: 200, factor: 2, maxMs: 1600, jitter: 0.5, maxAttempts: 3 },
  /**
   * A malformed R2Z2 entry (a 200 whose body does not parse): the file is immutable, so a second
   * GET usually gets the whole body. Five refetches over about a minute (a flaky path that spoils
   * one body in five still loses one entry in ~15,000), then a dead letter.
   */
  feedRefetch: { firstMs: 2000, factor: 2, maxMs: 30_000, jitter: 0, maxAttempts: 6 },
  /**
   * A kill whose ESI body could not be fetched (RedisQ short package while ESI is down): the
   * kill is already handed over, so it waits minutes, not seconds, for ESI to come back.
   */
  esiFetchRetry: { firstMs: 5000, factor: 6, maxMs: 120_000, jitter: 0, maxAttempts: 4 },
  /**
   * zKB API 403/429/blocked redirect without Retry-After: the whole client pauses. zKillboard
   * bans after repeated errors, so the first pause is already a minute.
   */
  zkbBlocked: { firstMs: 60_000, factor: 2, maxMs: 3_600_000, jitter: 0, maxAttempts: Infinity },
} as const satisfies Record<string, BackoffPolicy>;

export type PolicyName = keyof typeof POLICIES;

/**
 * The wait before try `attempt + 1` after `attempt` failures (attempt >= 1), or undefined when
 * the policy allows no more tries.
 */
export function backoffMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const step = Math.min(policy.firstMs * policy.factor ** Math.max(0, attempt - 1), policy.maxMs);
  return policy.jitter === 0 ? step : step * (1 - policy.jitter + 2 * policy.jitter * random());
}

/** The delays a finite policy goes through, in order (for queues that schedule them ahead). */
export function schedule(policy: BackoffPolicy): number[] {
  const out: number[] = [];
  for (let a = 1; a < policy.maxAttempts && Number.isFinite(policy.maxAttempts); a++) out.push(backoffMs(policy, a, () => 0.5) as number);
  return out;
}

/** Stateful form for poll loops: next() after each failure, reset() after a success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  next(): number {
    this.attempt++;
    return backoffMs(this.policy, this.attempt) ?? this.policy.maxMs;
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
