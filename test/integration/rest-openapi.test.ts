// /api/openapi against the live server: every registered route is documented, and every
// documented operation answers with one of its documented statuses when called with values
// built from its own parameter schemas.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKill, getJson, startRest, type RestFixture } from './rest-support.js';
import { openApiPath } from '../../src/http/route-spec.js';

const ISSUE_ROUTES = [
  'get /api/v1/kills/system/{system_id}',
  'post /api/v1/kills/systems',
  'get /api/v1/kills/cached/{system_id}',
  'get /api/v1/killmail/{killmail_id}',
  'get /api/v1/kills/count/{system_id}',
  'get /ping',
  'get /health',
  'get /websocket',
  'get /websocket/status',
  'get /api/openapi',
];

let fx: RestFixture;
before(async () => {
  fx = await startRest({
    kills: [canonicalKill(1, 1, Date.now())],
    wsStats: () => ({
      activeConnections: 0,
      activeSubscriptions: 0,
      subscribedSystems: 0,
      subscribedCharacters: 0,
      killsSentRealtime: 0,
      killsSentPreload: 0,
      startedAtMs: Date.now(),
    }),
  });
});
after(async () => fx.close());

function example(schema: any): unknown {
  if (schema.type === 'integer') return schema.minimum ?? 1;
  if (schema.type === 'array') return Array.from({ length: schema.minItems ?? 1 }, () => example(schema.items));
  if (schema.type === 'boolean') return true;
  if (schema.enum) return schema.enum[0];
  return 'x';
}

describe('/api/openapi', () => {
  test('an OpenAPI 3.1 document listing every registered route', async () => {
    const res = await getJson(`${fx.base}/api/openapi`);
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries<any>(res.body.paths)) for (const m of Object.keys(ops)) documented.add(`${m} ${path}`);
    for (const r of ISSUE_ROUTES) assert.ok(documented.has(r), `${r} documented`);
    for (const r of fx.server.routes())
      assert.ok(documented.has(`${r.method.toLowerCase()} ${openApiPath(r.path)}`), `${r.method} ${r.path}`);
    assert.equal(documented.size, fx.server.routes().length);
    const sys = res.body.paths['/api/v1/kills/system/{system_id}'].get;
    const limit = sys.parameters.find((p: any) => p.name === 'limit');
    assert.deepEqual(limit.schema, { type: 'integer', minimum: 1, maximum: 1000, default: 50 });
    assert.ok(res.body.components.schemas.Killmail.properties.zkb);
  });

  test('every documented operation answers with a documented status', async () => {
    const doc = (await getJson(`${fx.base}/api/openapi`)).body;
    let calls = 0;
    for (const [template, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        let path = template;
        for (const p of op.parameters ?? []) if (p.in === 'path') path = path.replace(`{${p.name}}`, String(example(p.schema)));
        const init: RequestInit = { method: method.toUpperCase() };
        if (op.requestBody) {
          const schema = op.requestBody.content['application/json'].schema;
          const body: Record<string, unknown> = {};
          for (const name of schema.required) body[name] = example(schema.properties[name]);
          init.body = JSON.stringify(body);
          init.headers = { 'content-type': 'application/json' };
        }
        const res = await fetch(fx.base + path, init);
        await res.arrayBuffer();
        assert.ok(
          String(res.status) in op.responses,
          `${method} ${path} answered ${res.status}, documented ${Object.keys(op.responses).join(',')}`,
        );
        assert.notEqual(res.status, 404, `${method} ${path} is served`);
        calls++;
      }
    }
    assert.equal(calls, fx.server.routes().length);
  });

  test('a route added by another stage appears in the document', async () => {
    fx.server.route({
      method: 'GET',
      path: '/api/v1/test/extra/:n',
      operationId: 'extra',
      summary: 'added later',
      params: [{ name: 'n', in: 'path', description: 'n', value: { type: 'integer', min: 1, max: 9 } }],
      responses: { 200: { description: 'ok' } },
      handler: () => undefined, // a buggy handler that never responds
    });
    const doc = (await getJson(`${fx.base}/api/openapi`)).body;
    assert.ok(doc.paths['/api/v1/test/extra/{n}'].get);
    const res = await getJson(`${fx.base}/api/v1/test/extra/3`);
    assert.equal(res.status, 500, 'a handler that never responds gets 500, not a process abort');
    assert.equal(res.body.code, 'internal_server_error');
    assert.equal((await getJson(`${fx.base}/api/v1/test/extra/10`)).body.details.field, 'n');
  });
});
