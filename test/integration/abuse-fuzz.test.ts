// Fuzzing against the real server: channel events over a real WebSocket (the hub's routing,
// joins, subscribe/unsubscribe/update/get_* handlers) and REST queries and bodies over real HTTP.
// Every frame gets a reply whose error is a named reason, no handler crashes (ws.channel_errors
// stays 0); every request gets 200/400/404/413/415 in the envelope, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startApp } from '../fixtures/ingest-harness.js';
import { fuzz, ReasonTally } from '../fixtures/fuzz.js';
import { RawClient } from './ws-harness.js';

const LOBBY = 'killmails:lobby';
const EVENTS = [
  'phx_join',
  'phx_leave',
  'subscribe_systems',
  'unsubscribe_systems',
  'subscribe_characters',
  'unsubscribe_characters',
  'update_subscriptions',
  'get_status',
  'get_subscriptions',
  'nope',
];
const FIELDS = [
  'systems',
  'character_ids',
  'add_systems',
  'remove_systems',
  'add_characters',
  'remove_characters',
  'preload',
  'kind',
  'offset',
  'limit',
];
const idish = fc.oneof(
  fc.integer({ min: 30_000_000, max: 30_000_050 }),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 5 }),
  fc.constant(null),
);
const value = fc.oneof(
  fc.array(idish, { maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('systems', 'characters'),
  fc.record({ enabled: fc.boolean(), limit_per_system: fc.integer() }),
);
const payload = fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 }));
const REASON = /^(unmatched topic|unknown_event|join crashed|[a-z_]+: .+)$/;

test('channel events: every frame answered, every error a named reason, no handler crash', async (t) => {
  const app = await startApp(
    t,
    {
      source: 'none',
      db: ':memory:',
      wsEventBurst: 100_000,
      wsEventsPerSecond: 100_000,
      wsIpEventBurst: 1_000_000,
      wsIpEventsPerSecond: 100_000,
    },
    { http: true },
  );
  const c = await RawClient.open(`ws://127.0.0.1:${app.port()}/socket/websocket?vsn=2.0.0`);
  t.after(() => c.close());
  const tally = new ReasonTally();
  let ref = 0;
  const frame = fc.record({
    topic: fc.constantFrom(LOBBY, LOBBY, LOBBY, 'killmails:all', 'phoenix', 'other'),
    event: fc.constantFrom(...EVENTS),
    payload,
  });
  const join = async (): Promise<void> => {
    const r = String(++ref);
    c.send([r, r, LOBBY, 'phx_join', { systems: [30_000_001], preload: { enabled: false } }]);
    await c.next((f) => Array.isArray(f) && f[1] === r && f[3] === 'phx_reply', 5000);
  };
  await fuzz(
    'channel events',
    fc.asyncProperty(frame, fc.boolean(), async ({ topic, event, payload: p }, joinFirst) => {
      if (joinFirst) await join();
      const r = String(++ref);
      c.send([event === 'phx_join' ? r : null, r, topic, event, p]);
      const reply = (await c.next((f) => Array.isArray(f) && f[1] === r && f[3] === 'phx_reply', 5000)) as [
        unknown,
        string,
        string,
        string,
        { status: string; response: { reason?: string } },
      ];
      const { status, response } = reply[4];
      assert.ok(status === 'ok' || status === 'error', status);
      if (status === 'error') {
        assert.match(String(response.reason), REASON);
        tally.add(String(response.reason).split(':')[0]!);
      } else tally.add(`ok ${event}`);
    }),
    2000,
  );
  t.diagnostic(tally.toString());
  assert.equal(app.counters.get('ws.channel_errors'), 0);
  assert.equal(c.closed, undefined, 'the socket is still open');
});

const ROUTES = ['/api/v1/kills/system/', '/api/v1/kills/count/', '/api/v1/kills/cached/', '/api/v1/killmail/'];
const QUERY_KEYS = ['since_hours', 'limit', 'format', 'system_ids', 'x'];

test('REST queries and bodies: 200/4xx in the envelope, never a 500', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', zkbUrl: 'http://127.0.0.1:9' }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const tally = new ReasonTally();
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer().map(String),
    fc.constantFrom('0', '1', '168', '1000', '1e3', '-1', '9007199254740993', '%', '%zz', ''),
  );
  const query = fc.record({
    route: fc.constantFrom(...ROUTES),
    id: text,
    params: fc.dictionary(fc.constantFrom(...QUERY_KEYS), text, { maxKeys: 3 }),
  });
  await fuzz(
    'REST queries',
    fc.asyncProperty(query, async ({ route, id, params }) => {
      const qs = new URLSearchParams(params).toString();
      const res = await fetch(`${base}${route}${encodeURIComponent(id)}${qs ? `?${qs}` : ''}`);
      const body = await res.text();
      assert.ok([200, 400, 404, 429, 503].includes(res.status), `${res.status} ${route}${id}?${qs}: ${body.slice(0, 200)}`);
      if (res.status !== 200) assert.match(body, /"code":"(validation_error|bad_request|not_found|rate_limited|unavailable)"/);
      tally.add(String(res.status));
    }),
    1000,
  );
  const bodyArb = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 60 }),
    fc
      .record(
        {
          system_ids: fc.oneof(fc.array(fc.oneof(fc.integer(), fc.string(), fc.double()), { maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })),
          since_hours: fc.jsonValue({ maxDepth: 1 }),
          limit: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  );
  await fuzz(
    'REST bodies',
    fc.asyncProperty(bodyArb, async (b) => {
      const res = await fetch(`${base}/api/v1/kills/systems`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
      const text2 = await res.text();
      assert.ok([200, 400].includes(res.status), `${res.status} for ${b.slice(0, 100)}: ${text2.slice(0, 200)}`);
      if (res.status === 400) assert.match(text2, /"code":"(validation_error|bad_request)"/);
      tally.add(`POST ${res.status}`);
    }),
    1000,
  );
  t.diagnostic(tally.toString());
  const status500 = app.counters
    .seriesOfFamily('wkills_http_requests_total')
    .filter((s) => s.labels[1] === '500')
    .reduce((n, s) => n + s.item.value, 0);
  assert.equal(status500, 0);
});
