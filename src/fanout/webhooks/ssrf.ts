// SSRF guard for webhook callbacks: an address is refused when it is loopback, private,
// link-local, CGNAT, multicast, reserved or a cloud metadata endpoint, including IPv4 written
// inside IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16).
// Decimal, octal and hex IPv4 hosts (http://2130706433/, http://0177.0.0.1/) need no parsing
// here: the WHATWG URL parser already turns them into dotted quads. Checked when a subscription
// is created and again on the address each delivery actually connects to (client.ts).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

type Range = readonly [base: number, bits: number, reason: string];

const V4_METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192']);
const V4_RANGES: readonly Range[] = [
  [0x00000000, 8, 'unspecified'],
  [0x0a000000, 8, 'private'],
  [0x64400000, 10, 'CGNAT'],
  [0x7f000000, 8, 'loopback'],
  [0xa9fe0000, 16, 'link-local'],
  [0xac100000, 12, 'private'],
  [0xc0000000, 24, 'reserved'],
  [0xc0000200, 24, 'reserved'],
  [0xc0a80000, 16, 'private'],
  [0xc6120000, 15, 'reserved'],
  [0xc6336400, 24, 'reserved'],
  [0xcb007100, 24, 'reserved'],
  [0xe0000000, 4, 'multicast'],
  [0xf0000000, 4, 'reserved'],
];

function v4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
}

function classifyV4(ip: string): string | null {
  if (V4_METADATA.has(ip)) return 'cloud metadata';
  const n = v4ToInt(ip);
  for (const [base, bits, reason] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === base) return reason;
  }
  return null;
}

/** Eight 16-bit groups of an IPv6 text (with `::` and a dotted IPv4 tail expanded). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16));
}

function embeddedV4(g: number[]): string {
  return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
}

function classifyV6(ip: string): string | null {
  const g = v6Groups(ip);
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(embeddedV4(g)); // ::ffff:a.b.c.d
  if (zeroUpTo(6)) return classifyV4(embeddedV4(g)) ?? 'reserved'; // ::a.b.c.d (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(embeddedV4(g));
  if (g[0] === 0x2002) return classifyV4(`${g[1]! >> 8}.${g[1]! & 0xff}.${g[2]! >> 8}.${g[2]! & 0xff}`);
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && zeroUpTo(0) && g[7] === 0x254) return 'cloud metadata';
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'private';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (first === 0x2001 && g[1] === 0x0db8) return 'reserved';
  if (first === 0x0100 && zeroUpTo(0) && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved';
  return null;
}

/** Why this IP address may not receive webhooks, or null when it is a public address. */
export function classifyAddress(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) return classifyV4(ip);
  if (v === 6) return classifyV6(ip);
  return 'not an IP address';
}

/** URL hostname without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

/** The reason a callback URL is refused (naming the address), or null. DNS failures refuse too. */
export async function checkCallbackUrl(url: URL, resolve: Resolver = systemResolver): Promise<string | null> {
  const host = bareHost(url);
  if (isIP(host) !== 0) {
    const reason = classifyAddress(host);
    return reason && `callback_url host ${host} is a ${reason} address`;
  }
  let addrs: LookupAddress[];
  try {
    addrs = await resolve(host);
  } catch (err) {
    return `callback_url host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  for (const a of addrs) {
    const reason = classifyAddress(a.address);
    if (reason) return `callback_url host ${host} resolves to a ${reason} address (${a.address})`;
  }
  return addrs.length === 0 ? `callback_url host ${host} resolves to no address` : null;
}

export class SsrfError extends Error {
  readonly code = 'ERR_WEBHOOK_SSRF';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that refuses blocked addresses: the check runs on the very
 * addresses the socket will connect to, so a name that resolved to a public address at
 * creation and to a private one now (DNS rebinding) is refused.
 */
export function guardedLookup(resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addrs) => {
        for (const a of addrs) {
          const reason = classifyAddress(a.address);
          if (reason) return callback(new SsrfError(`webhook host ${hostname} resolved to a ${reason} address (${a.address})`), '');
        }
        if (addrs.length === 0) return callback(new SsrfError(`webhook host ${hostname} resolved to no address`), '');
        if (options.all) return callback(null, addrs);
        return callback(null, addrs[0]!.address, addrs[0]!.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, ''),
    );
  };
}
