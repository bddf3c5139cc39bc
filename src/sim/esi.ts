// Simulated ESI: the killmail route under the `killmail` token
// bucket, and names/universe/entity routes under the error limit, with Expires, ETag and 304.
import { createHash } from 'node:crypto';
import { ALL_TYPES, GROUPS_BY_ID, REGION_NAMES, SYSTEMS, SYSTEMS_BY_ID } from './data.js';
import { ErrorLimiter, TokenBucket, tokenCost } from './esi-limits.js';
import type { FeedLog } from './feed-log.js';
import {
  ALLIANCE_POOL,
  CORPORATION_POOL,
  allianceId,
  allianceIndexOfCorp,
  constellationName,
  corporationId,
  mix32,
  regionOfConstellation,
  type NameBook,
} from './names.js';
import { json, raw, type SimResponse } from './respond.js';

export interface EsiOptions {
  /** Non-2xx/3xx answers allowed per window before every route answers 420 (ESI: 100/min). */
  errorLimit: number;
  errorWindowMs: number;
  /** The `killmail` group bucket (ESI: 3600 tokens / 15 min; the default here is generous). */
  killmailBucketTokens: number;
  killmailBucketWindowSeconds: number;
}

type Handler = (id: number, hash: string) => SimResponse;

const HOUR_MS = 3_600_000;
const NOT_FOUND_NAMES = { error: 'Ensure all IDs are valid before resolving.' };

export class SimEsi {
  readonly errors: ErrorLimiter;
  readonly killmailBucket: TokenBucket;
  private readonly routes: [RegExp, Handler, number][];

  constructor(
    private readonly log: FeedLog,
    private readonly book: NameBook,
    opts: EsiOptions,
  ) {
    this.errors = new ErrorLimiter(opts.errorLimit, opts.errorWindowMs);
    this.killmailBucket = new TokenBucket('killmail', opts.killmailBucketTokens, opts.killmailBucketWindowSeconds);
    // [path, handler, Expires lifetime ms]: universe data changes rarely, characters often.
    this.routes = [
      [/^\/universe\/types\/(\d+)\/$/, (id) => this.type(id), HOUR_MS],
      [/^\/universe\/groups\/(\d+)\/$/, (id) => this.group(id), HOUR_MS],
      [/^\/universe\/systems\/(\d+)\/$/, (id) => this.system(id), HOUR_MS],
      [/^\/universe\/constellations\/(\d+)\/$/, (id) => this.constellation(id), HOUR_MS],
      [/^\/universe\/regions\/(\d+)\/$/, (id) => this.region(id), HOUR_MS],
      [/^\/corporations\/(\d+)\/$/, (id) => this.corporation(id), HOUR_MS],
      [/^\/alliances\/(\d+)\/$/, (id) => this.alliance(id), HOUR_MS],
      [/^\/characters\/(\d+)\/$/, (id) => this.character(id), 5 * 60_000],
    ];
  }

  /** ESI paths also answer under the legacy `/latest/`, `/v1/`… prefixes. */
  static strip(path: string): string {
    return path.replace(/^\/(latest|legacy|dev|v\d+)(?=\/)/, '');
  }

  static isEsiPath(path: string): boolean {
    return /^\/(killmails|universe|corporations|alliances|characters)\//.test(SimEsi.strip(path));
  }

  /** Route name for stats, e.g. `esi.killmail`, `esi.names`, `esi.types`. */
  static routeName(path: string): string {
    const p = SimEsi.strip(path);
    if (p.startsWith('/killmails/')) return 'esi.killmail';
    if (p.startsWith('/universe/names')) return 'esi.names';
    const m = /^\/(?:universe\/)?([a-z]+)\//.exec(p);
    return `esi.${m?.[1] ?? 'other'}`;
  }

  handle(method: string, rawPath: string, ifNoneMatch: string | undefined, body: Buffer, nowMs: number): SimResponse {
    const path = SimEsi.strip(rawPath);
    const km = /^\/killmails\/(\d+)\/([0-9a-fA-F]+)\/$/.exec(path);
    if (km) return this.killmail(Number(km[1]), km[2] ?? '', ifNoneMatch, nowMs);
    if (this.errors.exhausted(nowMs)) return this.limited(nowMs);
    let r: SimResponse = json(404, { error: 'Requested page does not exist!' });
    if (path === '/universe/names/' && method === 'POST') r = this.names(body);
    else if (method === 'GET') {
      for (const [re, handler, lifetimeMs] of this.routes) {
        const m = re.exec(path);
        if (!m) continue;
        r = this.cacheable(handler(Number(m[1]), ''), ifNoneMatch, nowMs, lifetimeMs);
        break;
      }
    } else r = json(405, { error: 'Method not allowed' });
    return this.finishErrorLimited(r, nowMs);
  }

  /** Adds the error-limit headers and counts the answer (used for injected faults too). */
  finishErrorLimited(r: SimResponse, nowMs: number): SimResponse {
    this.errors.record(r.status, nowMs);
    return { ...r, headers: { ...r.headers, ...this.errors.headers(nowMs) } };
  }

  finishKillmail(r: SimResponse, nowMs: number): SimResponse {
    this.killmailBucket.spend(tokenCost(r.status), nowMs);
    return { ...r, headers: { ...r.headers, ...this.killmailBucket.headers(nowMs) } };
  }

  private limited(nowMs: number): SimResponse {
    const wait = this.errors.resetSeconds(nowMs);
    return json(
      420,
      { error: `This software has exceeded the error limit for ESI. If your software is behaving correctly, please try again in ${wait}s` },
      this.errors.headers(nowMs),
    );
  }

  private killmail(id: number, hash: string, ifNoneMatch: string | undefined, nowMs: number): SimResponse {
    if (this.killmailBucket.remaining(nowMs) <= 0) {
      const retry = this.killmailBucket.retryAfterSeconds(nowMs);
      return json(429, { error: 'Too many requests' }, { 'retry-after': String(retry), ...this.killmailBucket.headers(nowMs) });
    }
    const meta = this.log.byKillmailId(id);
    const r =
      meta && meta.hash === hash.toLowerCase()
        ? this.cacheable(raw(200, this.log.esiBytes(meta)), ifNoneMatch, nowMs, 14 * 24 * HOUR_MS) // immutable
        : json(404, { error: 'Invalid killmail_id and/or killmail_hash' });
    return this.finishKillmail(r, nowMs);
  }

  private cacheable(r: SimResponse, ifNoneMatch: string | undefined, nowMs: number, lifetimeMs: number): SimResponse {
    if (r.status !== 200) return r;
    const etag = `"${createHash('sha1').update(r.body).digest('hex').slice(0, 32)}"`;
    const headers = {
      etag,
      expires: new Date(nowMs + lifetimeMs).toUTCString(),
      'last-modified': new Date(nowMs - 60_000).toUTCString(),
      'cache-control': 'public',
    };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return { status: 304, headers, body: '' };
    }
    return { ...r, headers: { ...r.headers, ...headers } };
  }

  private names(body: Buffer): SimResponse {
    let ids: unknown;
    try {
      ids = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return json(400, { error: `Invalid JSON body: ${(err as Error).message}` });
    }
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => Number.isSafeInteger(x) && (x as number) > 0)) {
      return json(400, { error: 'Body must be a non-empty array of positive integer ids' });
    }
    if (ids.length > 1000) return json(400, { error: 'Maximum of 1000 IDs are allowed' });
    const out = [];
    for (const id of new Set(ids as number[])) {
      const r = this.book.resolve(id);
      if (!r) return json(404, NOT_FOUND_NAMES); // one bad id fails the whole batch, as on ESI
      out.push(r);
    }
    return json(200, out);
  }

  private type(id: number): SimResponse {
    const t = ALL_TYPES.get(id);
    if (!t) return json(404, { error: 'Type not found' });
    const m = mix32(id);
    return json(200, {
      type_id: id,
      name: t.name,
      description: `${t.name}.`,
      group_id: t.groupId,
      published: true,
      mass: m % 100_000_000,
      volume: (m >>> 8) % 500_000,
      capacity: (m >>> 4) % 5000,
      portion_size: 1,
    });
  }

  private group(id: number): SimResponse {
    const g = GROUPS_BY_ID.get(id);
    if (!g) return json(404, { error: 'Group not found' });
    const types = [...ALL_TYPES.values()].filter((t) => t.groupId === id).map((t) => t.id);
    return json(200, { group_id: id, name: g.name, category_id: g.categoryId, published: true, types });
  }

  private system(id: number): SimResponse {
    const s = SYSTEMS_BY_ID.get(id);
    if (!s) return json(404, { error: 'Solar system not found' });
    const m = mix32(id);
    return json(200, {
      system_id: id,
      name: s.name,
      constellation_id: s.constellationId,
      security_status: s.security,
      ...(id < 31_000_000 ? { security_class: s.security >= 0.45 ? 'B' : s.security > 0 ? 'D' : 'F' } : {}),
      star_id: 40_000_000 + (id % 1_000_000),
      position: { x: (m - 2 ** 31) * 1e7, y: ((m >>> 3) % 1000) * 1e13, z: ((m >>> 7) - 2 ** 24) * 1e9 },
    });
  }

  private constellation(id: number): SimResponse {
    const region = regionOfConstellation(id);
    if (region === undefined) return json(404, { error: 'Constellation not found' });
    const systems = SYSTEMS.filter((s) => s.constellationId === id).map((s) => s.id);
    return json(200, {
      constellation_id: id,
      name: constellationName(id),
      region_id: region,
      systems,
      position: { x: mix32(id), y: 0, z: mix32(id + 1) },
    });
  }

  private region(id: number): SimResponse {
    const name = REGION_NAMES.get(id);
    if (name === undefined) return json(404, { error: 'Region not found' });
    const constellations = [...new Set(SYSTEMS.filter((s) => s.regionId === id).map((s) => s.constellationId))];
    return json(200, { region_id: id, name, constellations, description: `${name}.` });
  }

  private corporation(id: number): SimResponse {
    const c = this.book.corporation(id);
    if (!c) return json(404, { error: 'Corporation not found' });
    const m = mix32(id);
    const npc = id < 2_000_000;
    return json(200, {
      name: c.name,
      ticker: c.ticker,
      member_count: npc ? 0 : 1 + (m % 900),
      ceo_id: npc ? 3_000_000 + (id % 1000) : 2_112_000_000 + (m % 1000) * 1019,
      creator_id: npc ? 1 : 90_000_000 + (m % 1000) * 1019,
      tax_rate: npc ? 0 : ((m >>> 8) % 11) / 10,
      date_founded: new Date(Date.UTC(2004 + (m % 22), (m >>> 4) % 12, 1 + ((m >>> 8) % 28))).toISOString().replace('.000Z', 'Z'),
      ...(c.allianceId !== undefined ? { alliance_id: c.allianceId } : {}),
      war_eligible: !npc,
    });
  }

  private alliance(id: number): SimResponse {
    const a = this.book.alliance(id);
    if (!a) return json(404, { error: 'Alliance not found' });
    let executor = corporationId(0);
    for (let j = 0; j < CORPORATION_POOL; j++) {
      const member = allianceIndexOfCorp(j);
      if (member >= 0 && allianceId(member) === id) {
        executor = corporationId(j);
        break;
      }
    }
    const m = mix32(id);
    return json(200, {
      name: a.name,
      ticker: a.ticker,
      executor_corporation_id: executor,
      creator_corporation_id: executor,
      creator_id: 90_000_000 + (m % ALLIANCE_POOL) * 1019,
      date_founded: new Date(Date.UTC(2008 + (m % 18), (m >>> 4) % 12, 1)).toISOString().replace('.000Z', 'Z'),
    });
  }

  private character(id: number): SimResponse {
    const who = this.book.membership(id);
    const name = this.book.resolve(id);
    if (!who || !name || name.category !== 'character') return json(404, { error: 'Character not found' });
    const m = mix32(id);
    return json(200, {
      name: name.name,
      corporation_id: who.corporationId,
      ...(who.allianceId !== undefined ? { alliance_id: who.allianceId } : {}),
      birthday: new Date(Date.UTC(2003 + (m % 23), (m >>> 4) % 12, 1 + ((m >>> 8) % 28))).toISOString().replace('.000Z', 'Z'),
      security_status: Math.round(((m % 200) / 10 - 10) * 10) / 10,
      gender: m % 2 === 0 ? 'female' : 'male',
      race_id: 1 + (m % 4),
      bloodline_id: 1 + (m % 8),
      description: '',
    });
  }
}
