import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hasCode } from '../../../src/core/errors.js';
import {
  RingReader,
  RingWriter,
  createRingBuffer,
  nextPowerOfTwo,
  ringRecordBytes,
  HEAD,
  TAIL,
  READ,
  RING_HEADER_BYTES,
} from '../../../src/core/ring.js';

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 31) & 0xff;
  return b;
}

describe('ring layout', () => {
  test('capacity rounds up to a power of two and the header is 256 bytes', () => {
    assert.equal(nextPowerOfTwo(1000), 1024);
    assert.equal(nextPowerOfTwo(1024), 1024);
    assert.equal(nextPowerOfTwo(1), 16);
    const sab = createRingBuffer(1000);
    assert.equal(sab.byteLength, RING_HEADER_BYTES + 1024);
    assert.equal(new RingWriter(sab).capacity, 1024);
  });

  test('HEAD and TAIL live on separate 64-byte lines', () => {
    assert.ok(Math.abs(HEAD - TAIL) * 4 >= 64);
    assert.equal(Math.floor((READ * 4) / 64), Math.floor((TAIL * 4) / 64), 'READ is consumer-owned, beside TAIL');
  });

  test('records are length-prefixed and 4-byte aligned', () => {
    assert.equal(ringRecordBytes(0), 4);
    assert.equal(ringRecordBytes(1), 8);
    assert.equal(ringRecordBytes(4), 8);
    assert.equal(ringRecordBytes(5), 12);
  });

  test('a buffer that is not a power of two is refused', () => {
    assert.throws(() => new RingReader(new SharedArrayBuffer(RING_HEADER_BYTES + 1000)), RangeError);
  });
});

describe('ring read/write', () => {
  test('empty ring reads undefined; records come back in order with header + body', () => {
    const sab = createRingBuffer(256);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    assert.equal(r.read(), undefined);
    assert.ok(w.tryWrite(bytesOf(10, 1), Uint8Array.of(9, 9)));
    assert.ok(w.tryWrite(bytesOf(0, 0)));
    const a = r.read();
    assert.deepEqual(a, new Uint8Array([9, 9, ...bytesOf(10, 1)]));
    assert.equal(r.read()?.byteLength, 0);
    assert.equal(r.read(), undefined);
    r.commit();
    assert.equal(w.usedBytes(), 0);
  });

  test('wrap-around: records straddling the end come back intact across many laps', () => {
    const sab = createRingBuffer(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    let straddled = 0;
    for (let i = 0; i < 500; i++) {
      const len = 1 + ((i * 7) % 40);
      const before = Atomics.load(new Int32Array(sab), HEAD) & 63;
      const rec = bytesOf(len, i);
      assert.ok(w.tryWrite(rec), `write ${i}`);
      if (before + 4 + len > 64) straddled++;
      const got = r.read();
      assert.deepEqual(got, rec, `record ${i}`);
      r.commit();
    }
    assert.ok(straddled > 50, `expected many straddling records, got ${straddled}`);
  });

  test('counters wrap past 2^31 without losing records', () => {
    const sab = createRingBuffer(64);
    const i32 = new Int32Array(sab);
    const start = 0x7fffffe0 | 0;
    Atomics.store(i32, HEAD, start);
    Atomics.store(i32, TAIL, start);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    for (let i = 0; i < 100; i++) {
      const rec = bytesOf(13, i);
      assert.ok(w.tryWrite(rec));
      assert.deepEqual(r.read(), rec);
      r.commit();
    }
    assert.ok(Atomics.load(i32, HEAD) < 0, 'HEAD went past 2^31');
  });

  test('full ring: tryWrite returns false, then true after the reader commits (back-pressure)', () => {
    const sab = createRingBuffer(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    let n = 0;
    while (w.tryWrite(bytesOf(12, n))) n++;
    assert.equal(n, 4, '4 records of 16 bytes fill 64');
    assert.equal(w.freeBytes(), 0);
    assert.equal(w.tryWrite(bytesOf(1, 0)), false);
    assert.ok(r.read());
    assert.equal(w.tryWrite(bytesOf(12, 99)), false, 'a read without commit frees nothing');
    r.commit();
    assert.ok(w.tryWrite(bytesOf(12, 99)), 'space is back after commit');
  });

  test('commit(position) releases only up to that record; sync() re-reads uncommitted records', () => {
    const sab = createRingBuffer(128);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    for (let i = 0; i < 3; i++) w.tryWrite(bytesOf(8, i));
    r.read();
    const afterFirst = r.position;
    r.read();
    r.commit(afterFirst);
    assert.equal(r.publishedReadCursor(), r.position, 'READ is published for crash recovery');
    const other = new RingReader(sab);
    other.sync();
    assert.deepEqual(other.read(), bytesOf(8, 1), 'a new consumer restarts at the first uncommitted record');
  });

  test('unpublished writes stay invisible until publish(); one notify per batch', async () => {
    const sab = createRingBuffer(256);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    const waiting = r.waitForDataAsync(5000);
    assert.ok(w.tryWrite(bytesOf(4, 1), undefined, false));
    assert.ok(w.tryWrite(bytesOf(4, 2), undefined, false));
    assert.equal(r.read(), undefined, 'not published yet');
    const signal = Atomics.load(new Int32Array(sab), 32);
    w.publish();
    assert.equal(await waiting, 'ok');
    assert.equal(Atomics.load(new Int32Array(sab), 32), signal + 1, 'one notify for the batch');
    assert.deepEqual(r.read(), bytesOf(4, 1));
    assert.deepEqual(r.read(), bytesOf(4, 2));
  });

  test('peek does not advance', () => {
    const sab = createRingBuffer(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    w.tryWrite(bytesOf(5, 3));
    assert.deepEqual(r.peek(), bytesOf(5, 3));
    assert.deepEqual(r.read(), bytesOf(5, 3));
    assert.equal(r.peek(), undefined);
  });

  test('a record larger than the ring throws ERR_RING_RECORD_TOO_LARGE', () => {
    const w = new RingWriter(createRingBuffer(64));
    assert.ok(w.tryWrite(bytesOf(60, 0)), 'capacity - 4 fits');
    const w2 = new RingWriter(createRingBuffer(64));
    assert.throws(
      () => w2.tryWrite(bytesOf(61, 0)),
      (err: unknown) => hasCode(err, 'ERR_RING_RECORD_TOO_LARGE'),
    );
    assert.throws(
      () => w2.tryWrite(bytesOf(40, 0), bytesOf(30, 0)),
      (err: unknown) => hasCode(err, 'ERR_RING_RECORD_TOO_LARGE'),
    );
  });
});

describe('ring signalling', () => {
  test('waitForDataAsync resolves when a record arrives (empty -> non-empty notify)', async () => {
    const sab = createRingBuffer(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    const waiting = r.waitForDataAsync(5000);
    w.tryWrite(bytesOf(3, 0));
    assert.equal(await waiting, 'ok');
    assert.equal(await r.waitForDataAsync(5000), 'not-equal', 'data already there: no wait');
  });

  test('waitForDataAsync times out on an empty ring', async () => {
    const r = new RingReader(createRingBuffer(64));
    assert.equal(await r.waitForDataAsync(20), 'timed-out');
  });

  test('waitForSpaceAsync resolves when the consumer commits enough space', async () => {
    const sab = createRingBuffer(64);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    while (w.tryWrite(bytesOf(12, 0)));
    const waiting = w.waitForSpaceAsync(12, 5000);
    r.read();
    r.commit();
    assert.equal(await waiting, 'ok');
    assert.ok(w.tryWrite(bytesOf(12, 1)));
  });

  test('waitForSpaceAsync resolves at once when space is free', async () => {
    const w = new RingWriter(createRingBuffer(64));
    assert.equal(await w.waitForSpaceAsync(12, 5000), 'ok');
  });
});
