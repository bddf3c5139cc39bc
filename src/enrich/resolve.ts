// Fills the name fields of a canonical killmail (docs/API.md#the-canonical-killmail) from the caches, and starts the ESI
// lookups for whatever is missing. `fill` is synchronous so a warm-cache kill never touches a
// promise or a timer; lookups are coalesced per key (one in-flight request per id).
import type { CanonicalAttacker, CanonicalKillmail, CanonicalVictim } from '../core/killmail.js';
import type { Counters } from '../telemetry/counters.js';
import { ENTITY_TTL_MS, PERMANENT, type Cached, type EntityEntry, type NameCache, type Namespace } from './cache.js';
import type { EsiClient, EsiResult } from './esi-client.js';
import { NamesBatcher, type NameHit } from './names.js';
import { isConstellationBody, isEntityBody, isGroupBody, isSystemBody, isTypeBody } from './shapes.js';

/** How long an id ESI does not know stays an id before it is asked about again. */
export const UNRESOLVABLE_TTL_MS = 3_600_000;

/** What the first fill pass found missing: names go in one batch, the rest are keyed jobs. */
export interface Missing {
  names: Set<number>;
  jobs: Map<string, () => Promise<void>>;
}

type Participant = CanonicalVictim | CanonicalAttacker;

function isGone<N extends Namespace>(e: Cached<N>): e is Extract<Cached<N>, { unresolvable: true }> {
  return 'unresolvable' in e;
}

export class Resolver {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly names: NamesBatcher;

  constructor(
    private readonly client: EsiClient,
    private readonly cache: NameCache,
    private readonly counters: Counters,
  ) {
    this.names = new NamesBatcher({
      client,
      counters,
      onResolved: (hit) => this.onName(hit),
      onUnresolvable: (id) => this.onUnresolvableName(id),
    });
  }

  /**
   * Sets every field the caches can give. Returns true when nothing resolvable is missing.
   * With `missing`, also records what to look up and counts cache hits/misses.
   */
  fill(kill: CanonicalKillmail, missing?: Missing): boolean {
    const now = this.cache.now();
    let ok = this.fillSystem(kill, now, missing);
    ok = this.fillParticipant(kill.victim, true, now, missing) && ok;
    for (const a of kill.attackers) ok = this.fillParticipant(a, false, now, missing) && ok;
    return ok;
  }

  /** Runs the lookups; settles (never rejects) when every one finished. */
  lookup(missing: Missing): Promise<void> {
    const all: Promise<void>[] = [];
    for (const id of missing.names) all.push(this.names.request(id));
    for (const [key, job] of missing.jobs) all.push(this.once(key, job));
    return Promise.all(all).then(() => undefined);
  }

  private fillSystem(kill: CanonicalKillmail, now: number, missing: Missing | undefined): boolean {
    const id = kill.system_id;
    if (!(id > 0)) return true;
    const s = this.cache.get('system', id, now, missing !== undefined);
    if (s === undefined) {
      missing?.jobs.set(`s${id}`, () => this.lookupSystem(id));
      return false;
    }
    if (isGone(s)) return true;
    kill.solar_system_name = s.name;
    kill.security_status = s.securityStatus;
    if (s.regionId !== undefined) {
      kill.region_id = s.regionId;
      return true;
    }
    missing?.jobs.set(`s${id}`, () => this.completeSystem(id));
    return false;
  }

  private fillParticipant(p: Participant, isVictim: boolean, now: number, missing: Missing | undefined): boolean {
    const count = missing !== undefined;
    let ok = true;
    if (p.character_id !== undefined && p.character_id > 0) {
      const e = this.cache.get('character', p.character_id, now, count);
      const name = e === undefined || isGone(e) ? undefined : e.name;
      if (name !== undefined) p.character_name = name;
      else if (e === undefined || !isGone(e)) {
        ok = false;
        missing?.names.add(p.character_id);
      }
    }
    ok = this.fillOrg(p, 'corporation', p.corporation_id, now, missing) && ok;
    ok = this.fillOrg(p, 'alliance', p.alliance_id, now, missing) && ok;
    if (p.ship_type_id !== undefined && p.ship_type_id > 0) ok = this.fillShip(p, isVictim, now, missing) && ok;
    return ok;
  }

  private fillOrg(
    p: Participant,
    ns: 'corporation' | 'alliance',
    id: number | undefined,
    now: number,
    missing: Missing | undefined,
  ): boolean {
    if (id === undefined || !(id > 0)) return true;
    const e = this.cache.get(ns, id, now, missing !== undefined);
    if (e !== undefined && isGone(e)) return true;
    const name = e?.name;
    const ticker = e?.ticker;
    if (ns === 'corporation') {
      if (name !== undefined) p.corporation_name = name;
      if (ticker !== undefined) p.corporation_ticker = ticker;
    } else {
      if (name !== undefined) p.alliance_name = name;
      if (ticker !== undefined) p.alliance_ticker = ticker;
    }
    // The entity route answers name and ticker: the names batch is only for a missing name
    // whose ticker is known, so no org costs two requests.
    if (name === undefined && ticker !== undefined) missing?.names.add(id);
    if (ticker === undefined) missing?.jobs.set(`${ns[0] ?? ''}${id}`, () => this.lookupOrg(ns, id));
    return name !== undefined && ticker !== undefined;
  }

  private fillShip(p: Participant, isVictim: boolean, now: number, missing: Missing | undefined): boolean {
    const id = p.ship_type_id as number;
    const t = this.cache.get('type', id, now, missing !== undefined);
    if (t === undefined) {
      // The victim also needs the group name, known only once the type answered: chain it.
      if (isVictim)
        missing?.jobs.set(`v${id}`, () => this.once(`t${id}`, () => this.lookupType(id)).then(() => this.lookupGroupOfType(id)));
      else missing?.jobs.set(`t${id}`, () => this.lookupType(id));
      return false;
    }
    if (isGone(t)) return true;
    p.ship_name = t.name;
    if (!isVictim) return true;
    const v = p as CanonicalVictim;
    v.ship_group_id = t.groupId;
    const g = this.cache.get('group', t.groupId, now, missing !== undefined);
    if (g === undefined) {
      missing?.jobs.set(`g${t.groupId}`, () => this.lookupGroup(t.groupId));
      return false;
    }
    if (!isGone(g)) v.ship_group_name = g.name;
    return true;
  }

  // ------------------------------------------------------------------ lookups

  private once(key: string, job: () => Promise<void>): Promise<void> {
    const existing = this.inflight.get(key);
    if (existing !== undefined) return existing;
    const p = job()
      .catch((err: unknown) => {
        // Not an ESI failure (those are results): a bug or a cache error. Counted, kill keeps ids.
        this.counters.inc('enrich.lookup_error');
        return err;
      })
      .then(() => {
        this.inflight.delete(key);
      });
    this.inflight.set(key, p);
    return p;
  }

  private onName(hit: NameHit): void {
    const ns = hit.category;
    if (ns !== 'character' && ns !== 'corporation' && ns !== 'alliance') return;
    this.mergeEntity(ns, hit.id, hit.name, undefined);
  }

  private onUnresolvableName(id: number): void {
    // The names route does not say which category the id was: one row, read by all three.
    this.cache.markEntityUnresolvable(id, this.cache.now() + UNRESOLVABLE_TTL_MS);
  }

  private mergeEntity(
    ns: 'character' | 'corporation' | 'alliance',
    id: number,
    name: string | undefined,
    ticker: string | undefined,
  ): void {
    const now = this.cache.now();
    const cur = this.cache.get(ns, id, now, false);
    const prev: EntityEntry | undefined = cur !== undefined && !isGone(cur) ? cur : undefined;
    this.cache.put(ns, id, {
      name: name ?? prev?.name,
      ticker: ticker ?? prev?.ticker,
      expiresAtMs: now + ENTITY_TTL_MS,
    });
  }

  private failed(ns: Namespace, id: number, r: EsiResult & { ok: false }): void {
    if (r.reason === 'not_found') this.cache.markUnresolvable(ns, id, this.cache.now() + UNRESOLVABLE_TTL_MS);
    else this.counters.inc(`enrich.lookup_failed.${ns}`);
  }

  private async lookupOrg(ns: 'corporation' | 'alliance', id: number): Promise<void> {
    const r = await this.client.get(
      ns === 'corporation' ? 'corporations' : 'alliances',
      `/${ns === 'corporation' ? 'corporations' : 'alliances'}/${id}/`,
      isEntityBody,
    );
    if (!r.ok) {
      this.failed(ns, id, r);
      return;
    }
    const b = r.body as { name: string; ticker: string };
    this.mergeEntity(ns, id, b.name, b.ticker);
  }

  private async lookupType(id: number): Promise<void> {
    const r = await this.client.get('types', `/universe/types/${id}/`, isTypeBody);
    if (!r.ok) {
      this.failed('type', id, r);
      return;
    }
    const b = r.body as { name: string; group_id: number };
    this.cache.put('type', id, { name: b.name, groupId: b.group_id, expiresAtMs: PERMANENT });
  }

  private lookupGroupOfType(typeId: number): Promise<void> {
    const t = this.cache.get('type', typeId, this.cache.now(), false);
    if (t === undefined || isGone(t)) return Promise.resolve();
    const g = this.cache.get('group', t.groupId, this.cache.now(), false);
    return g === undefined ? this.once(`g${t.groupId}`, () => this.lookupGroup(t.groupId)) : Promise.resolve();
  }

  private async lookupGroup(id: number): Promise<void> {
    const r = await this.client.get('groups', `/universe/groups/${id}/`, isGroupBody);
    if (!r.ok) {
      this.failed('group', id, r);
      return;
    }
    const b = r.body as { name: string; category_id: number };
    this.cache.put('group', id, { name: b.name, categoryId: b.category_id, expiresAtMs: PERMANENT });
  }

  private async lookupSystem(id: number): Promise<void> {
    const r = await this.client.get('systems', `/universe/systems/${id}/`, isSystemBody);
    if (!r.ok) {
      this.failed('system', id, r);
      return;
    }
    const b = r.body as { name: string; security_status: number; constellation_id: number };
    const c = this.cache.get('constellation', b.constellation_id, this.cache.now(), false);
    const regionId = c !== undefined && !isGone(c) ? c.regionId : undefined;
    this.cache.put('system', id, {
      name: b.name,
      securityStatus: b.security_status,
      constellationId: b.constellation_id,
      regionId,
      expiresAtMs: PERMANENT,
    });
    if (regionId === undefined) await this.completeSystem(id);
  }

  /** system → constellation → region_id, then the complete system row is cached and persisted. */
  private async completeSystem(id: number): Promise<void> {
    const s = this.cache.get('system', id, this.cache.now(), false);
    if (s === undefined || isGone(s)) return;
    const cid = s.constellationId;
    let c = this.cache.get('constellation', cid, this.cache.now(), false);
    if (c === undefined) {
      const r = await this.client.get('constellations', `/universe/constellations/${cid}/`, isConstellationBody);
      if (!r.ok) {
        this.failed('constellation', cid, r);
        return;
      }
      c = { regionId: (r.body as { region_id: number }).region_id, expiresAtMs: PERMANENT };
      this.cache.put('constellation', cid, c);
    }
    if (isGone(c)) return;
    this.cache.put('system', id, { ...s, regionId: c.regionId });
  }
}
