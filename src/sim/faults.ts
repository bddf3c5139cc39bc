// Fault injection. A fault matches a route family and applies to the next matching requests
// (`count` times, or forever) with a probability drawn from a seeded stream, so a test run is
// reproducible. Latency faults stack on top of each other; of the other kinds the first match wins.
// `redirect` answers with a redirect to the very same URL: with a count it costs the client one
// extra hop; left infinite it is a redirect loop the client must give up on.
import { Rng } from './rng.js';

export type FaultRoute = 'r2z2' | 'redisq' | 'esi' | 'zkb' | 'any';
export type FaultKind = 'latency' | 'status' | 'truncate' | 'malformed' | 'drip' | 'reset' | 'redirect';

export interface FaultSpec {
  route: FaultRoute;
  kind: FaultKind;
  /** `status`: the status code (default 503); `redirect`: 301/302/303/307/308 (default 307). */
  status?: number;
  /** `status` only: `Retry-After` in seconds (default 1 for a 429, absent otherwise). */
  retryAfterSeconds?: number;
  /** `latency`: delay before answering; `drip`: time over which the body trickles out. */
  latencyMs?: number;
  /** Apply this many times, then retire (default: forever). */
  count?: number;
  /** Chance per matching request, 0..1 (default 1). */
  probability?: number;
}

export interface FaultPlan {
  latencyMs: number;
  /** The one non-latency fault to apply, if any. */
  fault?: FaultSpec;
}

const KINDS: readonly FaultKind[] = ['latency', 'status', 'truncate', 'malformed', 'drip', 'reset', 'redirect'];
const ROUTES: readonly FaultRoute[] = ['r2z2', 'redisq', 'esi', 'zkb', 'any'];

/** Checks a fault list from JSON; returns every problem found (empty when valid). */
export function validateFaults(value: unknown): string[] {
  if (!Array.isArray(value)) return ['faults must be a JSON array'];
  const problems: string[] = [];
  value.forEach((f: unknown, i) => {
    if (typeof f !== 'object' || f === null) return void problems.push(`[${i}] must be an object`);
    const o = f as Record<string, unknown>;
    if (!ROUTES.includes(o.route as FaultRoute)) problems.push(`[${i}].route must be one of ${ROUTES.join(', ')}`);
    if (!KINDS.includes(o.kind as FaultKind)) problems.push(`[${i}].kind must be one of ${KINDS.join(', ')}`);
    for (const k of ['status', 'retryAfterSeconds', 'latencyMs', 'count'] as const) {
      if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isInteger(o[k]) || o[k] < 0)) {
        problems.push(`[${i}].${k} must be a non-negative integer`);
      }
    }
    const p = o.probability;
    if (p !== undefined && (typeof p !== 'number' || p < 0 || p > 1)) problems.push(`[${i}].probability must be between 0 and 1`);
  });
  return problems;
}

export class FaultInjector {
  private faults: { spec: FaultSpec; left: number }[] = [];
  private readonly rng: Rng;
  readonly applied: Record<FaultKind, number> = { latency: 0, status: 0, truncate: 0, malformed: 0, drip: 0, reset: 0, redirect: 0 };

  constructor(seed: number, faults: readonly FaultSpec[] = []) {
    this.rng = new Rng(seed ^ 0x0fa17);
    this.set(faults);
  }

  set(faults: readonly FaultSpec[]): void {
    this.faults = faults.map((spec) => ({ spec: { ...spec }, left: spec.count ?? Infinity }));
  }

  list(): FaultSpec[] {
    return this.faults.filter((f) => f.left > 0).map((f) => ({ ...f.spec, ...(Number.isFinite(f.left) ? { count: f.left } : {}) }));
  }

  /** Decide the faults for one request on a route family (consumes one-shot counts). */
  plan(route: Exclude<FaultRoute, 'any'>): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0 };
    for (const f of this.faults) {
      if (f.left <= 0 || (f.spec.route !== 'any' && f.spec.route !== route)) continue;
      if (f.spec.kind !== 'latency' && plan.fault) continue;
      if (f.spec.probability !== undefined && f.spec.probability < 1 && !this.rng.chance(f.spec.probability)) continue;
      f.left--;
      this.applied[f.spec.kind]++;
      if (f.spec.kind === 'latency') plan.latencyMs += f.spec.latencyMs ?? 0;
      else plan.fault = f.spec;
    }
    return plan;
  }
}

/** The body a `malformed` fault serves: starts like a killmail, then breaks. */
export const MALFORMED_BODY = '{"killmail_id": 12,,';
