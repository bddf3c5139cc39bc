import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testConfig } from '../../../src/config/index.js';
import { hasCode } from '../../../src/core/errors.js';
import { createFeed } from '../../../src/feeds/index.js';
import { feedDeps, MemoryCursors, RecordingSink, sendJson, startServer, until } from './helpers.js';

describe('createFeed', () => {
  test('none → no feed', () => {
    assert.equal(createFeed(testConfig({ source: 'none' }), feedDeps(new RecordingSink())), undefined);
  });

  test('r2z2 (default) and redisq build the named feed without starting it', () => {
    const r2z2 = createFeed(testConfig(), feedDeps(new RecordingSink()));
    assert.equal(r2z2?.name, 'r2z2');
    assert.equal(r2z2?.stats()['state'], 'new');
    const redisq = createFeed(testConfig({ source: 'redisq' }), feedDeps(new RecordingSink()));
    assert.equal(redisq?.name, 'redisq');
    assert.equal(redisq?.health().healthy, false);
  });

  test('sim without a simulator URL fails with ERR_CONFIG_INVALID', () => {
    assert.throws(
      () => createFeed(testConfig({ source: 'sim' }), feedDeps(new RecordingSink())),
      (err: unknown) => hasCode(err, 'ERR_CONFIG_INVALID'),
    );
  });

  test('sim reads R2Z2 from the simulator URL; redisq uses the configured queueID', async (t) => {
    const server = await startServer((_req, res, url) => {
      if (url.pathname === '/ephemeral/sequence.json') return sendJson(res, 200, '{"sequence":7}');
      if (url.pathname === '/ephemeral/7.json') return sendJson(res, 200, '{"sequence_id":7}');
      if (url.pathname === '/listen.php') return sendJson(res, 200, '{"package":null}');
      return sendJson(res, 404, '{}');
    });
    t.after(() => server.close());

    const sink = new RecordingSink();
    const sim = createFeed(testConfig({ source: 'sim', cutoffSeconds: 0 }), { ...feedDeps(sink), simUrl: server.url })!;
    t.after(() => sim.stop());
    await sim.start();
    await until(() => sink.entries.length === 1, 'the simulator entry');
    assert.deepEqual([sink.entries[0]!.seq, sink.entries[0]!.cutoffMs], [7, 0]);
    await sim.stop();

    const cursors = new MemoryCursors();
    const config = testConfig({ source: 'redisq', redisqUrl: `${server.url}/listen.php`, redisqQueueId: 'cfg_queue', redisqTtwSeconds: 3 });
    const redisq = createFeed(config, { ...feedDeps(new RecordingSink(), cursors), redisq: { idleIntervalMs: 50 } })!;
    t.after(() => redisq.stop());
    await redisq.start();
    await until(() => server.requests.some((r) => r.path === '/listen.php'), 'a RedisQ poll');
    const poll = server.requests.find((r) => r.path === '/listen.php')!;
    assert.equal(poll.url.searchParams.get('queueID'), 'cfg_queue');
    assert.equal(poll.url.searchParams.get('ttw'), '3');
    assert.equal(cursors.writes.length, 0);
  });
});
