// The worker's name caches as text (core/ports.ts WarmNames), for kills the transcoder writes
// bytes to bytes (pipeline/transcode.ts). Each fragment is the exact JSON text Resolver.fill
// (resolve.ts) appends to an object when it completes it from the caches, in its order; a case
// fill would leave incomplete (not cached, expired, a name without its ticker, a system without
// its region) gives undefined, and the kill takes the general path, which starts the lookups.
//
// A fragment is built once per cache entry (entries are replaced, never changed, so the entry
// object is the key) and copied per kill: a warm kill's ~40 lookups build nothing.
import type { WarmNames } from '../core/ports.js';
import type { Counters } from '../telemetry/counters.js';
import { NAMESPACES, type Cached, type Namespace } from './cache-types.js';
import type { NameCache } from './cache.js';

const EMPTY = new Uint8Array(0);
const NS_INDEX = new Map<Namespace, number>(NAMESPACES.map((ns, i) => [ns, i]));
const CHARACTER = NS_INDEX.get('character') as number;
const CORPORATION = NS_INDEX.get('corporation') as number;
const ALLIANCE = NS_INDEX.get('alliance') as number;
const TYPE = NS_INDEX.get('type') as number;
const GROUP = NS_INDEX.get('group') as number;
const SYSTEM = NS_INDEX.get('system') as number;

/** `,"key":value,…` as UTF-8: the members JSON.stringify writes after an object's earlier ones. */
function members(...pairs: [string, string | number][]): Uint8Array {
  let s = '';
  for (const [k, v] of pairs) s += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return Buffer.from(s, 'utf8');
}

function isGone(e: Cached<Namespace>): boolean {
  return (e as { unresolvable?: true }).unresolvable === true;
}

export function createWarmNames(cache: NameCache, counters: Counters): WarmNames {
  const texts = {
    character: new WeakMap<object, Uint8Array>(),
    corporation: new WeakMap<object, Uint8Array>(),
    alliance: new WeakMap<object, Uint8Array>(),
    attackerShip: new WeakMap<object, Uint8Array>(),
    victimShip: new WeakMap<object, { group: object; text: Uint8Array }>(),
    system: new WeakMap<object, Uint8Array>(),
  };
  // This kill's lookups, counted as fill() counts them once the kill is written from them.
  const hits = new Int32Array(NAMESPACES.length);
  let dbHits = 0;
  let now = 0;

  function lookup<N extends Namespace>(ns: N, nsIndex: number, id: number): Cached<N> | undefined {
    let e = cache.fresh(nsIndex, id, now) as Cached<N> | undefined;
    if (e === undefined) {
      e = cache.get(ns, id, now, false);
      if (e === undefined) return undefined;
      if (cache.lastFromDb) dbHits++;
    }
    hits[nsIndex] = (hits[nsIndex] as number) + 1;
    return e;
  }

  function entity(ns: 'corporation' | 'alliance', nsIndex: number, id: number, memo: WeakMap<object, Uint8Array>): Uint8Array | undefined {
    const e = lookup(ns, nsIndex, id);
    if (e === undefined) return undefined;
    if (isGone(e)) return EMPTY;
    let text = memo.get(e);
    if (text === undefined) {
      const { name, ticker } = e as { name: string | undefined; ticker: string | undefined };
      if (name === undefined || ticker === undefined) return undefined;
      text = members([`${ns}_name`, name], [`${ns}_ticker`, ticker]);
      memo.set(e, text);
    }
    return text;
  }

  return {
    begin() {
      // DB loads of a kill that went to the general path happened all the same: count them.
      if (dbHits > 0) counters.inc('enrich.cache.db_hit', dbHits);
      hits.fill(0);
      dbHits = 0;
      now = cache.now();
    },
    character(id) {
      const e = lookup('character', CHARACTER, id);
      if (e === undefined) return undefined;
      if (isGone(e)) return EMPTY;
      let text = texts.character.get(e);
      if (text === undefined) {
        const name = (e as { name: string | undefined }).name;
        if (name === undefined) return undefined;
        text = members(['character_name', name]);
        texts.character.set(e, text);
      }
      return text;
    },
    corporation: (id) => entity('corporation', CORPORATION, id, texts.corporation),
    alliance: (id) => entity('alliance', ALLIANCE, id, texts.alliance),
    ship(typeId, victim) {
      const t = lookup('type', TYPE, typeId);
      if (t === undefined) return undefined;
      if (isGone(t)) return EMPTY;
      const type = t as { name: string; groupId: number };
      if (!victim) {
        let text = texts.attackerShip.get(t);
        if (text === undefined) {
          text = members(['ship_name', type.name]);
          texts.attackerShip.set(t, text);
        }
        return text;
      }
      // The victim's ship also names its group: one fragment per (type, group) entry pair.
      const g = lookup('group', GROUP, type.groupId);
      if (g === undefined) return undefined;
      const known = texts.victimShip.get(t);
      if (known !== undefined && known.group === g) return known.text;
      const text = isGone(g)
        ? members(['ship_name', type.name], ['ship_group_id', type.groupId])
        : members(['ship_name', type.name], ['ship_group_id', type.groupId], ['ship_group_name', (g as { name: string }).name]);
      texts.victimShip.set(t, { group: g, text });
      return text;
    },
    system(id) {
      const s = lookup('system', SYSTEM, id);
      if (s === undefined) return undefined;
      if (isGone(s)) return EMPTY;
      let text = texts.system.get(s);
      if (text === undefined) {
        const sys = s as { name: string; securityStatus: number; regionId: number | undefined };
        if (sys.regionId === undefined) return undefined;
        text = members(['solar_system_name', sys.name], ['security_status', sys.securityStatus], ['region_id', sys.regionId]);
        texts.system.set(s, text);
      }
      return text;
    },
    commit() {
      cache.countHits(hits, dbHits);
      dbHits = 0;
      counters.inc('enrich.kills');
      counters.inc('enrich.complete');
      counters.inc('enrich.transcoded');
    },
  };
}
