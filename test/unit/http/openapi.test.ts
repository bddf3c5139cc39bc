import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApi, valueSchema } from '../../../src/http/openapi.js';
import { openApiPath, pathParamNames, type RouteSpec } from '../../../src/http/route-spec.js';
import { parseCors, corsFor, requestIdFor, allowHeadersFor } from '../../../src/http/cors.js';

const noop = (): void => undefined;
const routes: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/v1/things/:thing_id/parts/:part',
    operationId: 'getPart',
    summary: 'a part',
    tags: ['t'],
    params: [
      { name: 'thing_id', in: 'path', description: 'thing', value: { type: 'integer', min: 1, max: 10 } },
      { name: 'part', in: 'path', description: 'part', value: { type: 'string', maxLength: 8, enum: ['a', 'b'] } },
      { name: 'ids', in: 'query', description: 'ids', value: { type: 'integer_list', min: 1, max: 5, minItems: 1, maxItems: 3 } },
    ],
    responses: { 200: { description: 'ok', schema: { type: 'object' } } },
    handler: noop,
  },
  {
    method: 'POST',
    path: '/api/v1/things',
    operationId: 'postThings',
    summary: 'bulk',
    body: {
      description: 'b',
      fields: [
        { name: 'ids', required: true, description: 'ids', value: { type: 'integer_list', min: 1, max: 5, minItems: 1, maxItems: 3 } },
        { name: 'n', description: 'n', value: { type: 'integer', min: 1, max: 9, default: 2 } },
      ],
    },
    responses: { 200: { description: 'ok' }, 204: { description: 'none' } },
    handler: noop,
  },
];

test('path templates and parameter order', () => {
  assert.equal(openApiPath('/a/:x/b/:y_z'), '/a/{x}/b/{y_z}');
  assert.deepEqual(pathParamNames('/a/:x/b/:y_z'), ['x', 'y_z']);
});

test('buildOpenApi: paths, parameters, bodies, responses and shared schemas', () => {
  const doc = buildOpenApi(routes, { title: 't', version: '1' }) as any;
  assert.equal(doc.openapi, '3.1.0');
  const get = doc.paths['/api/v1/things/{thing_id}/parts/{part}'].get;
  assert.equal(get.operationId, 'getPart');
  assert.deepEqual(
    get.parameters.map((p: any) => [p.name, p.in, p.required]),
    [
      ['thing_id', 'path', true],
      ['part', 'path', true],
      ['ids', 'query', false],
    ],
  );
  assert.deepEqual(get.parameters[0].schema, { type: 'integer', minimum: 1, maximum: 10 });
  assert.deepEqual(get.parameters[1].schema.enum, ['a', 'b']);
  assert.equal(get.parameters[2].style, 'form');
  assert.equal(get.parameters[2].explode, false);
  assert.ok(get.responses['200'].content['application/json'].schema);
  assert.ok(get.responses['405'] && get.responses['500'], 'every operation documents 405 and 500');
  const post = doc.paths['/api/v1/things'].post;
  const schema = post.requestBody.content['application/json'].schema;
  assert.deepEqual(schema.required, ['ids']);
  assert.equal(schema.properties.ids.maxItems, 3);
  assert.equal(schema.properties.n.default, 2);
  assert.equal(post.responses['204'].content, undefined, '204 has no content');
  for (const name of ['Killmail', 'Victim', 'Attacker', 'Zkb', 'Error']) assert.ok(doc.components.schemas[name], name);
  assert.deepEqual(doc.components.schemas.Error.properties.code.enum, [
    'bad_request',
    'not_found',
    'validation_error',
    'rate_limited',
    'payload_too_large',
    'unavailable',
    'internal_server_error',
  ]);
});

test('valueSchema covers every value type', () => {
  assert.deepEqual(valueSchema({ type: 'boolean', default: false }, 'json'), { type: 'boolean', default: false });
  assert.deepEqual(valueSchema({ type: 'string', maxLength: 3, pattern: /^a+$/ }, 'text'), {
    type: 'string',
    maxLength: 3,
    pattern: '^a+$',
  });
  assert.equal((valueSchema({ type: 'integer_list', min: 1, max: 2, minItems: 1, maxItems: 2 }, 'json') as any).description, undefined);
});

test('CORS policy: any, allow-list, trailing slashes, preflight headers', () => {
  assert.deepEqual(corsFor(parseCors('*'), 'https://x'), ['*', false]);
  const list = parseCors(' https://a.example/ , https://b.example');
  assert.deepEqual(corsFor(list, 'https://a.example'), ['https://a.example', true]);
  assert.deepEqual(corsFor(list, 'https://c.example'), ['', true]);
  assert.deepEqual(corsFor(list, ''), ['', true]);
  assert.equal(allowHeadersFor('content-type, x-custom'), 'content-type, x-custom');
  assert.equal(allowHeadersFor('bad\nheader'), 'content-type, x-request-id');
});

test('request ids: sane ones echoed, others generated and unique', () => {
  assert.equal(requestIdFor('abc.DEF-1_2'), 'abc.DEF-1_2');
  const a = requestIdFor('');
  const b = requestIdFor('no spaces allowed');
  assert.notEqual(a, b);
  assert.match(a, /^[a-z0-9]+-[a-z0-9]+$/);
  assert.notEqual(requestIdFor('x'.repeat(129)).length, 129);
});
