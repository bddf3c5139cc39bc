// The dashboard page: plain HTML, CSS and a script, no build step. Charts are SVG with axes and
// units, fed by /status every 2 s (its `window` section: the last 5-second window's rates and
// percentiles); the latest kills arrive over the service's own WebSocket (Phoenix V2 frames on
// `killmails:all`); /health every 5 s colours the header. Kill fields are set with textContent.
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wanderer-kills</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#101418;color:#dde3ea}
header{padding:12px 20px;background:#182028;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
h1{font-size:18px;margin:0}.pill{padding:2px 10px;border-radius:10px;font-size:12px;background:#26313c}
.ok{background:#1f4d2c;color:#9be9a8}.bad{background:#5a1d1d;color:#ffb4ae}.muted{color:#8fa3b8;font-size:12px}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px;padding:16px 20px}
.card{background:#182028;border-radius:6px;padding:12px}.wide{grid-column:1/-1}
.card h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#8fa3b8;margin:0 0 4px}
.big{font-size:24px;font-weight:600}.legend span{margin-right:10px;font-size:12px}
svg{width:100%;height:150px;display:block;margin-top:6px}svg text{fill:#8fa3b8;font-size:9px}
.axis{stroke:#3a4856;stroke-width:1}.grid{stroke:#26313c;stroke-width:1}polyline{fill:none;stroke-width:1.6}
table{width:100%;border-collapse:collapse;font-size:13px}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #26313c}
th{color:#8fa3b8;font-weight:500}td.num{text-align:right;font-variant-numeric:tabular-nums}
</style></head><body>
<header><h1>wanderer-kills</h1><span id="health" class="pill">health …</span><span id="components" class="muted"></span>
<span id="socket" class="pill">live feed: connecting…</span><span id="state" class="muted">waiting for /status…</span></header>
<main id="cards"></main>
<main>
<div class="card wide"><h2>Latest kills (live over the WebSocket)</h2>
<table><thead><tr><th>Time (UTC)</th><th>System</th><th>Ship</th><th class="num">Value (ISK)</th></tr></thead><tbody id="kills"></tbody></table></div>
<div class="card wide"><h2>API routes (since start)</h2>
<table><thead><tr><th>Route</th><th class="num">Requests</th><th class="num">p50 (ms)</th><th class="num">p99 (ms)</th></tr></thead><tbody id="routes"></tbody></table></div>
</main>
<script>
const COLORS = ['#4fb0ff', '#f2cc60', '#ff7b72', '#7ee787', '#d2a8ff'];
const w = (s) => s.metrics.window;
const CHARTS = [
  { id: 'kills', title: 'Kills stored', unit: 'kills/min', series: [['stored', (s) => w(s).processing.stored_per_minute]] },
  { id: 'broadcast', title: 'Ingest → broadcast latency', unit: 'ms', series: [['p50', (s) => w(s).processing.ingest_to_broadcast.p50_ms], ['p95', (s) => w(s).processing.ingest_to_broadcast.p95_ms], ['p99', (s) => w(s).processing.ingest_to_broadcast.p99_ms]] },
  { id: 'connections', title: 'Connections by channel', unit: 'connections', series: [['WebSocket', (s) => w(s).system.connections.websocket], ['lobby', (s) => w(s).system.connections.ws_lobby || 0], ['firehose', (s) => w(s).system.connections.ws_firehose || 0], ['SSE', (s) => w(s).system.connections.sse]] },
  { id: 'api', title: 'API requests', unit: 'req/s', series: [['requests', (s) => w(s).api.requests_per_minute / 60]] },
  { id: 'errors', title: 'API error rate (5xx)', unit: '%', series: [['errors', (s) => w(s).api.error_rate * 100]] },
  { id: 'cache', title: 'Name cache hit rate', unit: '%', series: [['hit rate', (s) => (w(s).cache.name_hit_rate ?? 0) * 100]] },
  { id: 'memory', title: 'Memory', unit: 'MB', series: [['RSS', (s) => w(s).system.rss_mb], ['heap', (s) => w(s).system.heap_used_mb]] },
  { id: 'lag', title: 'Event-loop lag', unit: 'ms', series: [['p99', (s) => w(s).system.event_loop_lag_p99_ms], ['max', (s) => w(s).system.event_loop_lag_max_ms]] },
];
const SPAN_S = 600;
const history = [];
const cards = document.getElementById('cards');
for (const c of CHARTS) {
  const legend = c.series.map(([name], i) => '<span style="color:' + COLORS[i] + '">■ ' + name + '</span>').join('');
  cards.insertAdjacentHTML('beforeend', '<div class="card" id="card-' + c.id + '"><h2>' + c.title + ' (' + c.unit + ')</h2><div class="big"><span id="v-' + c.id + '">–</span> <span class="muted">' + c.unit + '</span></div><div class="legend">' + legend + '</div><svg id="g-' + c.id + '" viewBox="0 0 340 150"></svg></div>');
}
function fmt(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
function clock(ms) { return new Date(ms).toISOString().slice(11, 19); }
function niceMax(v) { if (v <= 0) return 1; const p = 10 ** Math.floor(Math.log10(v)); const m = v / p; return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p; }
function draw(c) {
  const L = 44, R = 334, T = 20, B = 128, now = Date.now();
  const pts = history.filter((h) => h.t >= now - SPAN_S * 1000);
  let max = 0;
  for (const h of pts) for (const v of h.v[c.id]) max = Math.max(max, v);
  max = niceMax(max);
  const x = (t) => L + ((t - (now - SPAN_S * 1000)) / (SPAN_S * 1000)) * (R - L);
  const y = (v) => B - (v / max) * (B - T);
  let svg = '';
  for (const f of [0, 0.5, 1]) svg += '<line class="grid" x1="' + L + '" x2="' + R + '" y1="' + y(max * f) + '" y2="' + y(max * f) + '"/><text x="' + (L - 4) + '" y="' + (y(max * f) + 3) + '" text-anchor="end">' + fmt(max * f) + '</text>';
  svg += '<line class="axis" x1="' + L + '" x2="' + L + '" y1="' + T + '" y2="' + B + '"/><line class="axis" x1="' + L + '" x2="' + R + '" y1="' + B + '" y2="' + B + '"/>';
  for (const f of [0, 0.5, 1]) { const t = now - SPAN_S * 1000 * (1 - f); svg += '<text x="' + x(t) + '" y="' + (B + 12) + '" text-anchor="' + (f === 0 ? 'start' : f === 1 ? 'end' : 'middle') + '">' + clock(t) + '</text>'; }
  svg += '<text x="' + L + '" y="9">' + c.unit + '</text><text x="' + R + '" y="' + (B + 22) + '" text-anchor="end">time (UTC), last 10 min</text>';
  c.series.forEach((s, i) => { svg += '<polyline stroke="' + COLORS[i] + '" points="' + pts.map((h) => x(h.t).toFixed(1) + ',' + y(h.v[c.id][i]).toFixed(1)).join(' ') + '"/>'; });
  const g = document.getElementById('g-' + c.id);
  g.innerHTML = svg;
  g.dataset.points = String(pts.length);
}
let lastWindowT;
async function tick() {
  const state = document.getElementById('state');
  try {
    const s = await (await fetch('/status', { cache: 'no-store' })).json();
    if (s.metrics.window) {
      const t = Date.parse(s.timestamp);
      const values = {};
      for (const c of CHARTS) values[c.id] = c.series.map(([, f]) => { const v = Number(f(s)); return Number.isFinite(v) ? v : 0; });
      if (lastWindowT === undefined || s.metrics.window.system.uptime_seconds !== lastWindowT) { history.push({ t, v: values }); lastWindowT = s.metrics.window.system.uptime_seconds; }
      while (history.length > 400) history.shift();
      for (const c of CHARTS) { document.getElementById('v-' + c.id).textContent = fmt(values[c.id][c.series.length > 2 ? 2 : 0]); draw(c); }
    }
    renderRoutes(s.metrics.api ? s.metrics.api.routes : []);
    state.textContent = 'updated ' + clock(Date.parse(s.timestamp)) + ' UTC · ' + s.summary.killmails_stored + ' kills stored';
  } catch (err) {
    state.textContent = 'status unavailable: ' + err.message;
  }
}
function renderRoutes(routes) {
  const body = document.getElementById('routes');
  body.replaceChildren(...routes.slice().sort((a, b) => b.count - a.count).slice(0, 12).map((r) => row([r.route, r.count, (r.p50 / 1000).toFixed(2), (r.p99 / 1000).toFixed(2)], 1)));
}
function row(cells, firstNum) {
  const tr = document.createElement('tr');
  cells.forEach((v, i) => { const td = document.createElement('td'); td.textContent = String(v); if (i >= firstNum) td.className = 'num'; tr.appendChild(td); });
  return tr;
}
async function health() {
  const el = document.getElementById('health');
  try {
    const res = await fetch('/health', { cache: 'no-store' });
    const h = await res.json();
    el.textContent = h.healthy ? 'healthy' : 'degraded';
    el.className = 'pill ' + (h.healthy ? 'ok' : 'bad');
    document.getElementById('components').textContent = Object.entries(h.components).map(([n, c]) => (c.healthy ? '✓ ' : '✗ ') + n).join('  ');
  } catch (err) {
    el.textContent = 'health unavailable';
    el.className = 'pill bad';
  }
}
function isk(v) { return v >= 1e9 ? (v / 1e9).toFixed(2) + ' B' : v >= 1e6 ? (v / 1e6).toFixed(1) + ' M' : v >= 1e3 ? (v / 1e3).toFixed(0) + ' k' : String(Math.round(v)); }
function addKill(k) {
  const body = document.getElementById('kills');
  const tr = row([(k.kill_time || '').slice(0, 19).replace('T', ' '), k.solar_system_name || ('system ' + k.system_id), (k.victim && (k.victim.ship_name || ('type ' + k.victim.ship_type_id))) || '?', isk((k.zkb && k.zkb.totalValue) || 0)], 3);
  tr.className = 'kill';
  body.prepend(tr);
  while (body.children.length > 20) body.lastChild.remove();
}
// A minimal Phoenix Channels V2 client: [join_ref, ref, topic, event, payload] JSON frames.
function connectSocket() {
  const el = document.getElementById('socket');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/socket/websocket?vsn=2.0.0');
  let ref = 0, heartbeat;
  ws.onopen = () => {
    ws.send(JSON.stringify(['1', String(++ref), 'killmails:all', 'phx_join', {}]));
    heartbeat = setInterval(() => ws.send(JSON.stringify([null, String(++ref), 'phoenix', 'heartbeat', {}])), 30000);
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return;
    const [, , topic, event, payload] = JSON.parse(ev.data);
    if (topic === 'killmails:all' && event === 'phx_reply') { el.textContent = 'live feed: ' + (payload.status === 'ok' ? 'joined' : 'join refused'); el.className = 'pill ' + (payload.status === 'ok' ? 'ok' : 'bad'); }
    if (event === 'killmail_update') for (const k of payload.killmails) addKill(k);
  };
  ws.onclose = () => { clearInterval(heartbeat); el.textContent = 'live feed: reconnecting…'; el.className = 'pill bad'; setTimeout(connectSocket, 3000); };
}
connectSocket();
tick(); health();
setInterval(tick, 2000); setInterval(health, 5000);
</script></body></html>
`;
