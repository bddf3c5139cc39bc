// Baseline for bench/rest/run.ts: what a plain implementation would be. node:http, the same
// SQLite file and SQL through better-sqlite3, and per request JSON.parse of every stored kill
// plus JSON.stringify of the whole response. Same routes and validation bounds as src/http.
// Prints {"port": N} on its first stdout line.
import http from 'node:http';
import Database from 'better-sqlite3';

const dbPath = process.argv[2];
if (!dbPath) throw new Error('usage: rest-node-http.ts DB_PATH');
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
const count = db.prepare('SELECT count(*) FROM killmails WHERE system_id = ? AND kill_time_ms >= ?').pluck();
const bySystem = db
  .prepare(
    `SELECT json FROM killmails WHERE system_id = ? AND kill_time_ms >= ?
  ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?`,
  )
  .pluck();

function killsFor(systemId: number, sinceHours: number, limit: number): unknown[] {
  const rows = bySystem.all(systemId, Date.now() - sinceHours * 3_600_000, limit) as string[];
  return rows.map((r) => JSON.parse(r) as unknown);
}

function intParam(v: unknown, min: number, max: number, dflt: number): number | undefined {
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, message: string, field: string): void {
  reply(res, status, { error: message, code: 'validation_error', details: { field }, timestamp: new Date().toISOString() });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = /^\/api\/v1\/kills\/system\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    const systemId = intParam(m[1], 1, 50_000_000, 0);
    const limit = intParam(url.searchParams.get('limit') ?? undefined, 1, 1000, 50);
    const since = intParam(url.searchParams.get('since_hours') ?? undefined, 1, 168, 24);
    if (!systemId || !limit || !since) return fail(res, 400, 'Invalid parameters', 'query');
    const ts = new Date().toISOString();
    return reply(res, 200, { data: { kills: killsFor(systemId, since, limit), timestamp: ts, cached: false }, timestamp: ts });
  }
  const c = /^\/api\/v1\/kills\/count\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && c) {
    const systemId = intParam(c[1], 1, 50_000_000, 0);
    const since = intParam(url.searchParams.get('since_hours') ?? undefined, 1, 168, 24);
    if (!systemId || !since) return fail(res, 400, 'Invalid parameters', 'query');
    const ts = new Date().toISOString();
    const n = count.get(systemId, Date.now() - since * 3_600_000) as number;
    return reply(res, 200, { data: { system_id: systemId, count: n, since_hours: since, timestamp: ts }, timestamp: ts });
  }
  if (req.method === 'POST' && url.pathname === '/api/v1/kills/systems') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { system_ids?: unknown; since_hours?: unknown; limit?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
      } catch {
        return fail(res, 400, 'Malformed JSON body', 'body');
      }
      const ids = body.system_ids;
      const limit = intParam(body.limit, 1, 1000, 50);
      const since = intParam(body.since_hours, 1, 168, 24);
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !limit || !since)
        return fail(res, 400, 'Invalid parameters', 'system_ids');
      const systemsKills: Record<string, unknown[]> = {};
      for (const id of ids as number[]) systemsKills[String(id)] = killsFor(id, since, limit);
      const ts = new Date().toISOString();
      return reply(res, 200, { data: { systems_kills: systemsKills, timestamp: ts }, timestamp: ts });
    });
    return;
  }
  fail(res, 404, 'Not Found', 'path');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
