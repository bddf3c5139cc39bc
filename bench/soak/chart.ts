// The soak bench's RSS curve as a self-contained SVG (no charting package needed), and a PNG of
// it rendered by headless Chromium when one is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Sample {
  tS: number;
  rssMB: number;
  /** The anonymous part of RSS (heaps, buffers), without file-backed pages. */
  anonMB: number;
  storeKills: number;
  pushed: number;
}

const W = 900;
const H = 480;
const PAD = { l: 70, r: 80, t: 50, b: 60 };

function ticks(max: number, n = 5): number[] {
  const step = 10 ** Math.floor(Math.log10(max / n));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= n) ?? step * 10;
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, i) => i * nice);
}

export function soakSvg(samples: readonly Sample[], title: string, limitMB: number): string {
  const tMax = Math.max(1, ...samples.map((s) => s.tS));
  const rssMax = Math.max(limitMB * 1.1, ...samples.map((s) => s.rssMB));
  const killsMax = Math.max(1, ...samples.map((s) => Math.max(s.storeKills, s.pushed)));
  const x = (t: number): number => PAD.l + (t / tMax) * (W - PAD.l - PAD.r);
  const y = (v: number, max: number): number => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
  const line = (pts: [number, number][], color: string, width = 2, dash = ''): string =>
    `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${title}</text>`,
  ];
  for (const v of ticks(rssMax))
    out.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v, rssMax)}" y2="${y(v, rssMax)}" stroke="#eee"/><text x="${PAD.l - 6}" y="${y(v, rssMax) + 4}" text-anchor="end">${v}</text>`,
    );
  for (const v of ticks(tMax)) out.push(`<text x="${x(v)}" y="${H - PAD.b + 18}" text-anchor="middle">${v}</text>`);
  for (const v of ticks(killsMax))
    out.push(`<text x="${W - PAD.r + 6}" y="${y(v, killsMax) + 4}" fill="#888">${v >= 1000 ? `${v / 1000}k` : v}</text>`);
  out.push(`<text x="${W / 2}" y="${H - 18}" text-anchor="middle">seconds since start</text>`);
  out.push(`<text transform="translate(18 ${H / 2}) rotate(-90)" text-anchor="middle">server RSS, MB</text>`);
  out.push(
    `<text transform="translate(${W - 14} ${H / 2}) rotate(90)" text-anchor="middle" fill="#888">kills (pushed, and stored after pruning)</text>`,
  );
  out.push(
    line(
      [
        [x(0), y(limitMB, rssMax)],
        [x(tMax), y(limitMB, rssMax)],
      ],
      '#d33',
      1,
      '6 4',
    ),
  );
  out.push(`<text x="${x(tMax) - 4}" y="${y(limitMB, rssMax) - 6}" text-anchor="end" fill="#d33">${limitMB} MB target</text>`);
  out.push(
    line(
      samples.map((s) => [x(s.tS), y(s.pushed, killsMax)]),
      '#bbb',
      1.5,
      '3 3',
    ),
  );
  out.push(
    line(
      samples.map((s) => [x(s.tS), y(s.storeKills, killsMax)]),
      '#888',
      1.5,
    ),
  );
  out.push(
    line(
      samples.map((s) => [x(s.tS), y(s.anonMB, rssMax)]),
      '#2a9d4b',
      2,
    ),
  );
  out.push(
    line(
      samples.map((s) => [x(s.tS), y(s.rssMB, rssMax)]),
      '#1f5fbf',
      2.5,
    ),
  );
  out.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${PAD.l + 8}" y="${PAD.t + 16}" fill="#1f5fbf">RSS</text><text x="${PAD.l + 44}" y="${PAD.t + 16}" fill="#2a9d4b">anonymous RSS (heaps, buffers)</text><text x="${PAD.l + 240}" y="${PAD.t + 16}" fill="#888">stored kills</text><text x="${PAD.l + 330}" y="${PAD.t + 16}" fill="#aaa">pushed kills</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

/** Render the SVG file to PNG with headless Chromium; false when no Chromium is installed. */
export function renderPng(svgPath: string, pngPath: string): boolean {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
  if (!chromium) return false;
  const r = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--window-size=${W},${H}`,
      `--screenshot=${resolve(pngPath)}`,
      `file://${resolve(svgPath)}`,
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  return r.status === 0 && existsSync(pngPath);
}
