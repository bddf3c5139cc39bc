// The webhook SSRF guard: address classes, every encoding of a private host through the URL
// parser, and the connect-time lookup that refuses a name rebound to a private address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { checkCallbackUrl, classifyAddress, guardedLookup } from '../../../src/fanout/webhooks/ssrf.js';

test('classifyAddress: private, loopback, link-local, CGNAT, multicast, metadata; public is null', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['100.128.0.1', null],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', null],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['2606:4700:4700::1111', null],
    ['2001:db8::1', 'reserved'],
  ];
  for (const [ip, want] of cases) assert.equal(classifyAddress(ip), want, ip);
});

test('checkCallbackUrl: decimal, octal, hex and bracketed forms reach the same verdict', async () => {
  for (const url of [
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://127.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[0:0:0:0:0:ffff:7f00:1]/',
  ]) {
    const reason = await checkCallbackUrl(new URL(url));
    assert.ok(reason?.includes('loopback'), `${url}: ${reason}`);
  }
  assert.equal(await checkCallbackUrl(new URL('https://93.184.216.34/hook')), null);
});

test('checkCallbackUrl: a name is refused when any of its addresses is private, and when it does not resolve', async () => {
  const resolver = async (host: string): Promise<LookupAddress[]> => {
    if (host === 'mixed.example')
      return [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ];
    if (host === 'public.example') return [{ address: '93.184.216.34', family: 4 }];
    throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
  };
  assert.match((await checkCallbackUrl(new URL('http://mixed.example/'), resolver)) ?? '', /private address \(10\.0\.0\.5\)/);
  assert.equal(await checkCallbackUrl(new URL('http://public.example/'), resolver), null);
  assert.match((await checkCallbackUrl(new URL('http://nowhere.example/'), resolver)) ?? '', /does not resolve \(ENOTFOUND\)/);
});

test('guardedLookup: the connect-time lookup refuses a name rebound to a private address', async () => {
  let answer = '93.184.216.34';
  const lookup = guardedLookup(async () => [{ address: answer, family: 4 }]);
  const call = (all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) =>
      lookup('rebind.example', { all }, (err, address) => resolve({ err, address })),
    );
  assert.deepEqual(await call(false), { err: null, address: '93.184.216.34' });
  assert.deepEqual((await call(true)).address, [{ address: '93.184.216.34', family: 4 }]);
  answer = '169.254.169.254';
  const refused = await call(false);
  assert.match(refused.err?.message ?? '', /cloud metadata address \(169\.254\.169\.254\)/);
});
