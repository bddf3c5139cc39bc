// Limit row for bench/rest/run.ts: the least work any server must do to answer these requests —
// a bare uWS app sending bytes already in memory. Each answer is the byte-identical body our
// server would send (same kills, same envelope, same size), built from the same store file on
// first sight and kept forever; no validation, no store read, no timestamp, no router. Prints
// {"port": N} on its first stdout line; exits on SIGTERM.
import uWS from 'uWebSockets.js';
import Database from 'better-sqlite3';

const dbPath = process.argv[2];
if (!dbPath) throw new Error('usage: serve-limit.ts DB_PATH');
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
const joined = db
  .prepare<[number, number, number], Buffer>(
    `SELECT CAST(coalesce(group_concat(json, ','), '') AS BLOB) FROM
  (SELECT json FROM killmails WHERE system_id = ? AND kill_time_ms >= ? ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?)`,
  )
  .pluck();
const count = db.prepare<[number, number], number>('SELECT count(*) FROM killmails WHERE system_id = ? AND kill_time_ms >= ?').pluck();
const H = 3_600_000;
const TYPE = 'application/json; charset=utf-8';

const bodies = new Map<string, Buffer>();

function arrayOf(systemId: number, limit: number): Buffer {
  return Buffer.concat([Buffer.from('['), joined.get(systemId, Date.now() - 24 * H, limit) ?? Buffer.alloc(0), Buffer.from(']')]);
}

function systemBody(systemId: number, limit: number): Buffer {
  const iso = new Date().toISOString();
  return Buffer.concat([
    Buffer.from('{"data":{"kills":'),
    arrayOf(systemId, limit),
    Buffer.from(`,"timestamp":"${iso}","cached":false},"timestamp":"${iso}"}`),
  ]);
}

function bulkBody(text: string): Buffer {
  const q = JSON.parse(text) as { system_ids: number[]; limit?: number };
  const iso = new Date().toISOString();
  const parts: Buffer[] = [Buffer.from('{"data":{"systems_kills":{')];
  q.system_ids.forEach((id, i) => parts.push(Buffer.from(`${i > 0 ? ',' : ''}"${id}":`), arrayOf(id, q.limit ?? 50)));
  parts.push(Buffer.from(`},"timestamp":"${iso}"},"timestamp":"${iso}"}`));
  return Buffer.concat(parts);
}

function countBody(systemId: number): Buffer {
  const iso = new Date().toISOString();
  return Buffer.from(
    `{"data":{"system_id":${systemId},"count":${count.get(systemId, Date.now() - 24 * H)},"since_hours":24,"timestamp":"${iso}"},"timestamp":"${iso}"}`,
  );
}

function memo(key: string, make: () => Buffer): Buffer {
  let b = bodies.get(key);
  if (b === undefined) {
    b = make();
    bodies.set(key, b);
  }
  return b;
}

function send(res: uWS.HttpResponse, body: Buffer): void {
  res.cork(() => {
    res.writeStatus('200 OK').writeHeader('content-type', TYPE).end(body);
  });
}

const app = uWS.App();
app.get('/api/v1/kills/system/:id', (res, req) => {
  const id = req.getParameter(0) ?? '';
  const query = req.getQuery() ?? '';
  const limit = Number(/limit=(\d+)/.exec(query)?.[1] ?? 50);
  send(
    res,
    memo(`s${id}?${limit}`, () => systemBody(Number(id), limit)),
  );
});
app.get('/api/v1/kills/count/:id', (res, req) => {
  const id = req.getParameter(0) ?? '';
  send(
    res,
    memo(`c${id}`, () => countBody(Number(id))),
  );
});
app.post('/api/v1/kills/systems', (res) => {
  // Reading the request body is work every server must do; its text is the key.
  const chunks: Buffer[] = [];
  let aborted = false;
  res.onAborted(() => (aborted = true));
  res.onData((chunk, last) => {
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!last || aborted) return;
    const text = Buffer.concat(chunks).toString('latin1');
    send(
      res,
      memo(`b${text}`, () => bulkBody(text)),
    );
  });
});
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) throw new Error('serve-limit: could not listen');
  process.stdout.write(JSON.stringify({ port: uWS.us_socket_local_port(socket) }) + '\n');
});
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
