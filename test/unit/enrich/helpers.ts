// Test helpers for enrich/: the cache tables (same DDL as src/store/migrations.ts), a small
// in-process fake ESI over node:http that records every request with its arrival time, and a
// canonical kill builder.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import type { CanonicalKillmail } from '../../../src/core/killmail.js';

export const CACHE_TABLES_DDL = `
CREATE TABLE IF NOT EXISTS esi_names (id INTEGER PRIMARY KEY, category TEXT, name TEXT, ticker TEXT, extra TEXT, expires_at_ms INTEGER);
CREATE TABLE IF NOT EXISTS esi_unresolvable (id INTEGER PRIMARY KEY, until_ms INTEGER);
CREATE TABLE IF NOT EXISTS sde_types (type_id INTEGER PRIMARY KEY, name TEXT, group_id INTEGER);
CREATE TABLE IF NOT EXISTS sde_groups (group_id INTEGER PRIMARY KEY, name TEXT, category_id INTEGER);
CREATE TABLE IF NOT EXISTS sde_systems (system_id INTEGER PRIMARY KEY, name TEXT, security_status REAL, constellation_id INTEGER, region_id INTEGER);
CREATE TABLE IF NOT EXISTS esi_http_cache (url TEXT PRIMARY KEY, etag TEXT, expires_at_ms INTEGER, body TEXT);
`;

/** The fixtures folder beside the repository, or undefined when absent (tests then skip). */
export function sharedFixtures(): string | undefined {
  const dir = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

export interface SeenRequest {
  method: string;
  path: string;
  atMs: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A handler may answer (return true) or let the default ESI data answer (return false). */
export type Override = (req: SeenRequest, res: ServerResponse) => boolean;

export interface FakeEsi {
  url: string;
  server: Server;
  seen: SeenRequest[];
  /** Ids the names route refuses (whole batch 404, as ESI does). */
  unknownIds: Set<number>;
  override: Override | undefined;
  close(): Promise<void>;
}

/** Deterministic names: character 9xxxxxxx → "Pilot N", corporation 98xxxxxx → "Corp N" [Cn]. */
export function nameOf(id: number): { name: string; category: string } {
  if (id >= 90_000_000 && id < 98_000_000) return { name: `Pilot ${id}`, category: 'character' };
  if (id >= 98_000_000 && id < 99_000_000) return { name: `Corp ${id}`, category: 'corporation' };
  if (id >= 99_000_000) return { name: `Alliance ${id}`, category: 'alliance' };
  if (id >= 1_000_000 && id < 2_000_000) return { name: `NPC Corp ${id}`, category: 'corporation' };
  return { name: `Thing ${id}`, category: 'character' };
}

export function tickerOf(id: number): string {
  return `T${id % 100_000}`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
  return true;
}

/** GET answers carry ETag/Expires/Date like ESI's, so conditional-request paths get exercised. */
function cacheHeaders(path: string): Record<string, string> {
  return {
    etag: `"${Buffer.from(path).toString('base64url')}"`,
    date: new Date().toUTCString(),
    expires: new Date(Date.now() + 300_000).toUTCString(),
  };
}

function defaultRoute(req: SeenRequest, res: ServerResponse, unknown: ReadonlySet<number>): boolean {
  const p = req.path;
  const ok = (body: unknown): true => json(res, 200, body, cacheHeaders(p));
  if (req.method === 'POST' && p === '/universe/names/') {
    const ids = JSON.parse(req.body) as number[];
    if (ids.some((id) => unknown.has(id))) return json(res, 404, { error: 'Ensure all IDs are valid before resolving.' });
    return json(
      res,
      200,
      ids.map((id) => ({ id, ...nameOf(id) })),
    );
  }
  let m = /^\/(corporations|alliances)\/(\d+)\/$/.exec(p);
  if (m !== null) {
    const id = Number(m[2]);
    if (unknown.has(id)) return json(res, 404, { error: 'not found' });
    return ok({ name: nameOf(id).name, ticker: tickerOf(id), member_count: 1 });
  }
  m = /^\/universe\/types\/(\d+)\/$/.exec(p);
  if (m !== null) return ok({ type_id: Number(m[1]), name: `Ship ${m[1]}`, group_id: 25, published: true });
  m = /^\/universe\/groups\/(\d+)\/$/.exec(p);
  if (m !== null) return ok({ group_id: Number(m[1]), name: `Group ${m[1]}`, category_id: 6, published: true, types: [] });
  m = /^\/universe\/systems\/(\d+)\/$/.exec(p);
  if (m !== null) return ok({ system_id: Number(m[1]), name: `System ${m[1]}`, security_status: 0.45, constellation_id: 20000020 });
  m = /^\/universe\/constellations\/(\d+)\/$/.exec(p);
  if (m !== null) return ok({ constellation_id: Number(m[1]), name: 'Kimotoro', region_id: 10000002 });
  return json(res, 404, { error: 'no route' });
}

export async function startFakeEsi(): Promise<FakeEsi> {
  const fake: FakeEsi = {
    url: '',
    server: createServer(),
    seen: [],
    unknownIds: new Set(),
    override: undefined,
    close: async () => {
      fake.server.closeAllConnections();
      fake.server.close();
      await once(fake.server, 'close');
    },
  };
  fake.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        atMs: Date.now(),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fake.seen.push(seen);
      if (fake.override?.(seen, res) === true) return;
      defaultRoute(seen, res, fake.unknownIds);
    });
  });
  fake.server.listen(0, '127.0.0.1');
  await once(fake.server, 'listening');
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

export { json as respondJson };

/** A kill with `attackers` attackers, ids in the fake's naming ranges. */
export function makeKill(killmailId: number, attackers = 3): CanonicalKillmail {
  return {
    killmail_id: killmailId,
    kill_time: '2026-01-01T00:00:00Z',
    system_id: 30000142,
    victim: { character_id: 90000001, corporation_id: 98000001, alliance_id: 99000001, ship_type_id: 587, damage_taken: 100 },
    attackers: Array.from({ length: attackers }, (_, i) => ({
      character_id: 90000100 + i,
      corporation_id: 98000100 + (i % 2),
      alliance_id: 99000100,
      ship_type_id: 621 + (i % 3),
      weapon_type_id: 2185,
      damage_done: 10,
      final_blow: i === 0,
      security_status: 0,
    })),
    attacker_count: attackers,
  };
}

/** A WAL SQLite file in a temp folder with the cache tables, closed and removed after the test. */
export function cacheDbFile(t: TestContext): { db: Database.Database; dbPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wk-enrich-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'kills.db');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.exec(CACHE_TABLES_DDL);
  t.after(() => db.close());
  return { db, dbPath };
}

/** The fake ESI's corporation and alliance names and tickers, on a victim or attacker. */
export function assertOrgNames(p: {
  corporation_id?: number;
  corporation_name?: string;
  corporation_ticker?: string;
  alliance_id?: number;
  alliance_name?: string;
  alliance_ticker?: string;
}): void {
  if (p.corporation_id !== undefined) {
    assert.equal(p.corporation_name, nameOf(p.corporation_id).name);
    assert.equal(p.corporation_ticker, tickerOf(p.corporation_id));
  }
  if (p.alliance_id !== undefined) {
    assert.equal(p.alliance_name, nameOf(p.alliance_id).name);
    assert.equal(p.alliance_ticker, tickerOf(p.alliance_id));
  }
}
