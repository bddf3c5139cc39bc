// The worker's minimal ESI killmail fetch, against a loopback server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { hasCode } from '../../../src/core/errors.js';
import { createKillmailFetcher } from '../../../src/pipeline/esi-killmail.js';

test('GET /killmails/{id}/{hash}/ with User-Agent and X-Compatibility-Date; errors carry ESI codes', async (t) => {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (req.url === '/killmails/1/abc/') return void res.end('{"killmail_id":1}');
    if (req.url === '/killmails/2/abc/') return void res.end('not json');
    if (req.url === '/killmails/3/abc/') return; // never answers (closeAllConnections ends it)
    res.statusCode = 404;
    res.end('{"error":"not found"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  // Answering requests get a timeout a loaded machine cannot miss (the first fetch in a process pays
  // undici's start-up); only the hanging request is judged by the short one.
  const opts = { esiUrl: `http://127.0.0.1:${port}/`, userAgent: 'wk-test/1 (test@example.com)', compatibilityDate: '2026-07-21' };
  const fetchKillmail = createKillmailFetcher({ ...opts, timeoutMs: 10_000 });
  const impatient = createKillmailFetcher({ ...opts, timeoutMs: 100 });

  assert.deepEqual(await fetchKillmail(1, 'abc'), { killmail_id: 1 });
  assert.equal(seen[0]?.headers['user-agent'], 'wk-test/1 (test@example.com)');
  assert.equal(seen[0]?.headers['x-compatibility-date'], '2026-07-21');
  await assert.rejects(fetchKillmail(2, 'abc'), (e: unknown) => hasCode(e, 'ERR_ESI_BODY'));
  await assert.rejects(
    impatient(3, 'abc'),
    (e: unknown) => hasCode(e, 'ERR_ESI_TIMEOUT') && /no answer within 100 ms/.test((e as Error).message),
  );
  await assert.rejects(fetchKillmail(4, 'abc'), (e: unknown) => hasCode(e, 'ERR_ESI_HTTP_STATUS'));
});
