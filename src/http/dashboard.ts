// The live dashboard at `/` (docs/API.md#routes): one static page, no build step. Its script polls /status
// every 2 s and draws the last ten minutes as SVG sparklines: kills stored per minute,
// ingest → stored and ingest → broadcast p99, WebSocket connections, API requests per minute.
import { send, type RequestCtx } from './respond.js';
import type { RouteSpec } from './route-spec.js';

const HTML_TYPE = 'text/html; charset=utf-8';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wanderer-kills</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#101418;color:#dde3ea}
header{padding:12px 20px;background:#182028;display:flex;gap:16px;align-items:baseline}
h1{font-size:18px;margin:0}#state{color:#8fa3b8}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px;padding:16px 20px}
.card{background:#182028;border-radius:6px;padding:12px}
.card h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#8fa3b8;margin:0 0 6px}
.big{font-size:26px;font-weight:600}.sub{color:#8fa3b8;font-size:12px}
svg{width:100%;height:60px;display:block;margin-top:6px}polyline{fill:none;stroke:#4fb0ff;stroke-width:1.5}
.bad{color:#ff7b72}.ok{color:#7ee787}
</style></head><body>
<header><h1>wanderer-kills</h1><span id="state">connecting…</span></header>
<main id="cards"></main>
<script>
const CARDS = [
  ['kills', 'Kills stored / min', (s, p) => p ? Math.max(0, (s.metrics.ingest.stored - p.metrics.ingest.stored) * 60000 / (Date.parse(s.timestamp) - Date.parse(p.timestamp))) : 0, (s) => s.metrics.ingest.stored + ' stored in total, ' + s.metrics.ingest.failed + ' failed, ' + s.metrics.ingest.skipped + ' skipped'],
  ['stored', 'Ingest → stored p99 (ms)', (s) => s.metrics.ingest.ingest_to_stored_us.p99 / 1000, (s) => 'p50 ' + (s.metrics.ingest.ingest_to_stored_us.p50 / 1000).toFixed(2) + ' ms'],
  ['broadcast', 'Ingest → broadcast p99 (ms)', (s) => s.metrics.ingest.ingest_to_broadcast_us.p99 / 1000, (s) => 'p50 ' + (s.metrics.ingest.ingest_to_broadcast_us.p50 / 1000).toFixed(2) + ' ms'],
  ['ws', 'WebSocket connections', (s) => s.metrics.websocket.activeConnections, (s) => s.metrics.websocket.activeSubscriptions + ' subscriptions, ' + s.metrics.websocket.killsSentRealtime + ' kills sent'],
  ['api', 'API requests / min', (s) => s.summary.api_requests_per_minute, () => ''],
  ['cache', 'ESI cache hit rate (%)', (s) => s.summary.cache_hit_rate === null ? 0 : s.summary.cache_hit_rate * 100, (s) => 'ESI requests ' + (s.metrics.enrich['esi.requests'] || 0)],
  ['memory', 'Memory (MB RSS)', (s) => s.summary.memory_usage_mb, (s) => 'event loop p99 ' + s.metrics.process.event_loop_lag_p99_ms + ' ms, up ' + s.summary.uptime_hours + ' h'],
  ['feed', 'Feed lag (s)', (s) => s.summary.processing_lag_seconds || 0, (s) => s.metrics.feed.source + ' ' + (s.metrics.feed.state || '') + ' ' + (s.metrics.feed.circuit || '')],
];
const history = new Map(CARDS.map(([id]) => [id, []]));
const cards = document.getElementById('cards');
for (const [id, title] of CARDS) cards.insertAdjacentHTML('beforeend', '<div class="card"><h2>' + title + '</h2><div class="big" id="v-' + id + '">–</div><div class="sub" id="s-' + id + '"></div><svg viewBox="0 0 300 60" preserveAspectRatio="none"><polyline id="l-' + id + '"/></svg></div>');
let previous;
function draw(id, points) {
  const max = Math.max(1, ...points);
  const step = 300 / Math.max(1, points.length - 1);
  document.getElementById('l-' + id).setAttribute('points', points.map((v, i) => (i * step).toFixed(1) + ',' + (58 - (v / max) * 56).toFixed(1)).join(' '));
}
async function tick() {
  try {
    const s = await (await fetch('/status', { cache: 'no-store' })).json();
    for (const [id, , value, sub] of CARDS) {
      const v = value(s, previous);
      const h = history.get(id); h.push(v); if (h.length > 300) h.shift();
      document.getElementById('v-' + id).textContent = Number.isInteger(v) ? v : v.toFixed(2);
      document.getElementById('s-' + id).textContent = sub(s);
      draw(id, h);
    }
    previous = s;
    const state = document.getElementById('state');
    state.textContent = 'updated ' + new Date(s.timestamp).toLocaleTimeString();
    state.className = 'ok';
  } catch (err) {
    const state = document.getElementById('state');
    state.textContent = 'status unavailable: ' + err.message;
    state.className = 'bad';
  }
}
tick();
setInterval(tick, 2000);
</script></body></html>
`;

export function dashboardRoute(): RouteSpec {
  const body = Buffer.from(PAGE, 'utf8');
  return {
    method: 'GET', path: '/', operationId: 'dashboard', tags: ['operations'],
    summary: 'Live dashboard: kills per minute, latency percentiles, connections (polls /status)',
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
    handler: (ctx: RequestCtx) => void send(ctx, 200, HTML_TYPE, body),
  };
}
