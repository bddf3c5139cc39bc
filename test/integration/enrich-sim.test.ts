// enrich/ against the simulator's ESI (src/sim): names, tickers, types, groups, systems,
// conditional requests, 420/429/5xx recovery and bad bodies, all over real loopback HTTP.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { createSimulator, characterId, nameFor, type Simulator, type FaultSpec } from '../../src/sim/index.js';
import { Counters } from '../../src/telemetry/counters.js';
import type { MetricKey } from '../../src/telemetry/index.js';
import { createEsiClient, createWorkerEnricher, type EnricherWithWrites } from '../../src/enrich/index.js';
import type { CanonicalKillmail } from '../../src/core/killmail.js';
import { toCanonical, type EsiBody } from '../unit/enrich/canonical.js';

type T = { after: (fn: () => Promise<void> | void) => void };

interface Sent {
  url: string;
  sentAtMs: number;
  status: number;
  doneAtMs: number;
  headers: Headers | undefined;
}

/**
 * Records every request the client makes (send time, answer time, status, headers) to check
 * pacing, from undici's diagnostics channels: the client runs on undici, and these channels
 * report each request without replacing anything of ours.
 */
function recordFetches(t: T): Sent[] {
  const sent: Sent[] = [];
  const byRequest = new WeakMap<object, Sent>();
  const onCreate = (m: unknown): void => {
    const { request } = m as { request: { origin: string; path: string } };
    const rec: Sent = { url: request.origin + request.path, sentAtMs: Date.now(), status: 0, doneAtMs: 0, headers: undefined };
    sent.push(rec);
    byRequest.set(request, rec);
  };
  const onHeaders = (m: unknown): void => {
    const { request, response } = m as { request: object; response: { statusCode: number; headers: Buffer[] } };
    const rec = byRequest.get(request);
    if (rec === undefined) return;
    rec.status = response.statusCode;
    rec.doneAtMs = Date.now();
    const h = new Headers();
    for (let i = 0; i + 1 < response.headers.length; i += 2) h.append(String(response.headers[i]), String(response.headers[i + 1]));
    rec.headers = h;
  };
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  t.after(() => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
  });
  return sent;
}

async function startSim(t: T, opts: Parameters<typeof createSimulator>[0] = {}): Promise<Simulator> {
  const sim = createSimulator({ rate: 0, seed: 11, ...opts });
  await sim.start();
  t.after(() => sim.stop());
  return sim;
}

function enricherFor(t: T, sim: Simulator, counters = new Counters(), timeoutMs = 3000): EnricherWithWrites {
  const e = createWorkerEnricher({
    esiUrl: sim.url,
    userAgent: 'wk-test/1.0 (ops@example.com)',
    compatibilityDate: '2026-07-21',
    dbPath: ':memory:',
    timeoutMs,
    counters,
    backoffBaseMs: 20,
  });
  t.after(() => e.close());
  return e;
}

/** Publishes n kills and returns their killmail ids and hashes from the R2Z2 entries. */
async function publish(sim: Simulator, n: number): Promise<{ id: number; hash: string }[]> {
  sim.publish(n);
  const out: { id: number; hash: string }[] = [];
  for (let seq = sim.lastSequence - n + 1; seq <= sim.lastSequence; seq++) {
    const e = (await (await fetch(`${sim.url}/ephemeral/${seq}.json`)).json()) as { killmail_id: number; hash: string };
    out.push({ id: e.killmail_id, hash: e.hash });
  }
  return out;
}

function assertEveryFieldPresent(kill: CanonicalKillmail): void {
  assert.ok(kill.solar_system_name, 'solar_system_name');
  assert.equal(typeof kill.region_id, 'number');
  assert.equal(typeof kill.security_status, 'number');
  assert.ok(kill.victim.ship_name, 'victim ship_name');
  assert.equal(typeof kill.victim.ship_group_id, 'number');
  assert.ok(kill.victim.ship_group_name, 'victim ship_group_name');
  for (const p of [kill.victim, ...kill.attackers]) {
    if (p.character_id !== undefined) assert.equal(p.character_name, nameFor(p.character_id), `character ${p.character_id}`);
    if (p.corporation_id !== undefined)
      assert.ok(p.corporation_name !== undefined && p.corporation_ticker !== undefined, `corporation ${p.corporation_id}`);
    if (p.alliance_id !== undefined)
      assert.ok(p.alliance_name !== undefined && p.alliance_ticker !== undefined, `alliance ${p.alliance_id}`);
    if (p.ship_type_id !== undefined) assert.ok(p.ship_name, `ship ${p.ship_type_id}`);
  }
}

async function enrichAll(
  e: EnricherWithWrites,
  refs: { id: number; hash: string }[],
  budgetMs: number,
): Promise<{ kills: CanonicalKillmail[]; complete: number }> {
  const kills = await Promise.all(refs.map(async (r) => toCanonical((await e.fetchKillmail(r.id, r.hash)) as EsiBody, r.hash)));
  const done = await Promise.all(kills.map((k) => e.enrich(k, budgetMs)));
  return { kills, complete: done.filter(Boolean).length };
}

describe('enrich against the simulator', () => {
  test('every §3.1 enriched field is present for kills whose ids resolve', async (t) => {
    const sim = await startSim(t);
    const e = enricherFor(t, sim);
    // The budget is not what this test proves: generous, so a loaded machine still completes.
    const { kills, complete } = await enrichAll(e, await publish(sim, 30), 30_000);
    assert.equal(complete, kills.length);
    for (const k of kills) assertEveryFieldPresent(k);
  });

  test('names batch of 1000 ids with one unknown id: O(log n) extra calls, the id stays an id', async (t) => {
    const bad = characterId(500);
    const sim = await startSim(t, { unresolvableIds: [bad] });
    const e = enricherFor(t, sim);
    const kill: CanonicalKillmail = {
      killmail_id: 1,
      kill_time: '2026-01-01T00:00:00Z',
      system_id: 30000142,
      attacker_count: 999,
      victim: { character_id: characterId(0), ship_type_id: 587, damage_taken: 1 },
      attackers: Array.from({ length: 999 }, (_, i) => ({
        character_id: characterId(i + 1),
        damage_done: 1,
        final_blow: i === 0,
        security_status: 0,
      })),
    };
    assert.equal(await e.enrich(kill, 30_000), true);
    const calls = sim.stats().requests['esi.names'] ?? 0;
    assert.ok(calls <= 2 * Math.ceil(Math.log2(1000)) + 1, `${calls} names calls`);
    assert.equal(kill.attackers.find((a) => a.character_id === bad)?.character_name, undefined);
    assert.equal(kill.attackers.filter((a) => a.character_name !== undefined).length, 998);
  });

  test('a conditional request after Expires gets 304 and reuses the cached body', async (t) => {
    const sim = await startSim(t);
    let fakeNow = Date.now();
    const counters = new Counters();
    const client = createEsiClient({
      baseUrl: sim.url,
      userAgent: 'wk-test/1.0',
      compatibilityDate: '2026-07-21',
      timeoutMs: 3000,
      maxConcurrencyPerRoute: 2,
      counters,
      now: () => fakeNow,
    });
    t.after(() => client.close());
    const any = (): boolean => true;
    const first = await client.get('types', '/universe/types/587/', any);
    await client.get('types', '/universe/types/587/', any);
    assert.equal(sim.stats().requests['esi.types'], 1, 'no request before Expires');
    fakeNow += 2 * 3_600_000;
    const third = await client.get('types', '/universe/types/587/', any);
    assert.equal(third.ok && third.status, 304);
    assert.deepEqual(third.ok && third.body, first.ok && first.body);
    assert.equal(sim.stats().requests['esi.types'], 2);
  });

  test('injected 420, 429 and 5xx: the client backs off, recovers, loses no kill, sends nothing early', async (t) => {
    const sim = await startSim(t, { esiErrorWindowMs: 2000, killmailBucketTokens: 8, killmailBucketWindowSeconds: 2 });
    const sent = recordFetches(t);
    const e = enricherFor(t, sim, new Counters(), 5000);
    const refs = await publish(sim, 8);
    const faults: FaultSpec[] = [
      { route: 'esi', kind: 'status', status: 503, count: 3 },
      { route: 'esi', kind: 'status', status: 420, retryAfterSeconds: 1, count: 1 },
    ];
    sim.setFaults(faults);
    const { kills, complete } = await enrichAll(e, refs, 40_000);
    assert.equal(kills.length, 8, 'every killmail fetched despite 429s');
    assert.equal(complete, 8);
    for (const k of kills) assertEveryFieldPresent(k);
    const statuses = sent.map((s) => s.status);
    assert.ok(statuses.includes(429), 'the killmail bucket ran dry');
    assert.ok(statuses.includes(420) && statuses.includes(503));
    for (const limited of sent.filter((s) => s.status === 420 || s.status === 429)) {
      const h = limited.headers;
      const waitS = Number((limited.status === 420 ? h?.get('x-esi-error-limit-reset') : undefined) ?? h?.get('retry-after'));
      assert.ok(waitS > 0, 'the limited answer announced when to come back');
      const scope = limited.status === 429 ? (s: Sent) => s.url.includes('/killmails/') : () => true;
      const early = sent.filter((s) => scope(s) && s.sentAtMs > limited.doneAtMs && s.sentAtMs < limited.doneAtMs + waitS * 1000);
      assert.deepEqual(
        early.map((s) => s.url),
        [],
        `requests sent before the ${limited.status} reset`,
      );
    }
  });

  test('malformed, truncated and hanging ESI bodies are counted failures; kills keep their ids', async (t) => {
    const sim = await startSim(t);
    const refs = await publish(sim, 3);
    const fetcher = enricherFor(t, sim);
    const bodies = await Promise.all(refs.map((r) => fetcher.fetchKillmail(r.id, r.hash)));
    // [fault, counter, request timeout ms]: broken bodies get a timeout a loaded machine cannot hit
    // (else they would be counted as timeouts); only the hanging case relies on the short one.
    const cases: [FaultSpec, MetricKey, number][] = [
      [{ route: 'esi', kind: 'malformed' }, 'esi.failed.malformed', 10_000],
      [{ route: 'esi', kind: 'truncate' }, 'esi.failed.truncated', 10_000],
      [{ route: 'esi', kind: 'latency', latencyMs: 5000 }, 'esi.failed.timeout', 300],
    ];
    for (const [fault, counter, timeoutMs] of cases) {
      sim.setFaults([fault]);
      const counters = new Counters();
      const e = createWorkerEnricher({
        esiUrl: sim.url,
        userAgent: 'wk-test/1.0',
        compatibilityDate: '2026-07-21',
        dbPath: ':memory:',
        timeoutMs,
        counters,
        backoffBaseMs: 10,
        maxAttempts: 2,
      });
      const kill = toCanonical(bodies[0] as EsiBody, refs[0]?.hash ?? '');
      assert.equal(await e.enrich(kill, 5000), false, fault.kind);
      await e.close();
      assert.ok(counters.get(counter) > 0, `${counter} for ${fault.kind}: ${JSON.stringify(counters.snapshot())}`);
      assert.equal(kill.victim.character_name, undefined);
      assert.equal(kill.solar_system_name, undefined);
      assert.ok(kill.system_id > 0 && kill.victim.ship_type_id > 0, 'ids kept');
    }
    sim.setFaults([]);
  });
});
