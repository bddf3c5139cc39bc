// The metric registry: one declaration per family, every dotted name resolved to a declared
// family and labels, undeclared names refused at run time (the types refuse them at compile time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counters, METRICS, MetricRegistry, type MetricKey } from '../../../src/telemetry/index.js';
import { counter, gauge, histogram } from '../../../src/telemetry/registry.js';

test('a family declared twice, in two stages, is refused', () => {
  const a = { wkills_x_total: counter('x', 'events', ['x']) };
  const b = { wkills_x_total: counter('x again', 'events', ['x2']) };
  assert.throws(() => new MetricRegistry({ a, b }), /wkills_x_total declared twice \(stages a and b\)/);
});

test('a dotted name declared twice is refused', () => {
  assert.throws(
    () => new MetricRegistry({ a: { wkills_x_total: counter('x', 'events', ['x']), wkills_y_total: counter('y', 'events', ['x']) } }),
    /key x declared twice/,
  );
});

test('Prometheus conventions are checked at declaration', () => {
  const bad: [Record<string, ReturnType<typeof counter> | ReturnType<typeof gauge> | ReturnType<typeof histogram>>, RegExp][] = [
    [{ wkills_things: counter('c', 'events') }, /must end in _total/],
    [{ wkills_level_total: gauge('g', 'events') }, /must not end in _total/],
    [{ wkillsCamel_total: counter('c', 'events') }, /snake_case/],
    [{ wkills_size: gauge('g', 'bytes') }, /must end in _bytes/],
    [{ wkills_latency_ms: histogram('h') }, /in seconds/],
    [{ wkills_x_total: counter(' ', 'events') }, /help/],
    [{ wkills_x_total: counter('x', 'events', ['x.{nope}'], ['reason']) }, /not a label/],
    [{ wkills_x_total: counter('x', 'events', ['x'], ['reason']) }, /must capture every label/],
  ];
  for (const [decls, err] of bad) assert.throws(() => new MetricRegistry({ s: decls }), err);
});

test('dotted names resolve to families and label values; the most specific pattern wins', () => {
  assert.deepEqual(pick(METRICS.resolve('ws.closed.slow_consumer')), ['wkills_ws_connections_closed_total', ['slow_consumer']]);
  assert.deepEqual(pick(METRICS.resolve('feed.r2z2.error.http_5xx')), ['wkills_feed_errors_total', ['r2z2', 'http_5xx']]);
  assert.deepEqual(pick(METRICS.resolve('feed.redisq.cursor_invalid')), ['wkills_feed_cursor_events_total', ['redisq', 'invalid']]);
  assert.deepEqual(pick(METRICS.resolve('enrich.cache.size.character')), ['wkills_enrich_cache_entries', ['character']]);
  assert.deepEqual(pick(METRICS.resolve('enrich.cache.hit.character')), ['wkills_enrich_cache_lookups_total', ['hit', 'character']]);
  assert.deepEqual(pick(METRICS.resolve('enrich.cache.hit')), ['wkills_enrich_cache_hits_total', []]);
});

test('incrementing or reading an undeclared name throws at run time; declared ones count', () => {
  const c = new Counters();
  assert.throws(() => c.inc('no.such.metric' as MetricKey), /metric key "no.such.metric" is not declared/);
  assert.throws(() => c.get('ws.nope' as MetricKey), /not declared/);
  assert.throws(() => c.cell('wkills_nope_total' as never), /not declared/);
  assert.throws(() => c.cell('wkills_http_requests_total', ['only-route']), /takes labels \(route, status\)/);
  assert.throws(() => c.histogram('wkills_http_requests_total', ['a', 'b']), /is a counter, not a histogram/);
  c.inc('ws.closed.normal');
  c.inc('ws.closed.normal', 2);
  assert.equal(c.get('ws.closed.normal'), 3);
  assert.deepEqual(
    c.seriesOfFamily('wkills_ws_connections_closed_total').map((s) => [s.labels, s.item.value]),
    [[['normal'], 3]],
  );
});

test('every declared family has help, a unit and a snake_case name', () => {
  assert.ok(METRICS.families.size > 100, `${METRICS.families.size} families`);
  for (const f of METRICS.families.values()) {
    assert.match(f.name, /^wkills_[a-z0-9_]+$/);
    assert.ok(f.help.length > 3 && f.unit.length > 0, f.name);
  }
});

function pick(r: { family: { name: string }; labelValues: string[] }): [string, string[]] {
  return [r.family.name, r.labelValues];
}
