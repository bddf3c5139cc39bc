// The live dashboard at `/`: one static page (dashboard-page.ts), no build step. It reads
// /status and /health and listens to the service's own WebSocket for the latest kills.
import { send, type RequestCtx } from './respond.js';
import type { RouteSpec } from './route-spec.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';

const HTML_TYPE = 'text/html; charset=utf-8';

export function dashboardRoute(): RouteSpec {
  const body = Buffer.from(DASHBOARD_PAGE, 'utf8');
  return {
    method: 'GET',
    path: '/',
    operationId: 'dashboard',
    tags: ['operations'],
    summary: 'Live dashboard: kills per minute, latency percentiles, connections, API, cache, memory, latest kills',
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
    handler: (ctx: RequestCtx) => void send(ctx, 200, HTML_TYPE, body),
  };
}
