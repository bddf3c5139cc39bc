// Registers RouteSpecs on a uWS app: validation, HEAD and OPTIONS per pattern, 405 for a known
// path with another method, a catch-all 404 in the error envelope, x-request-id and CORS on
// every response, latency per route.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../telemetry/index.js';
import { monoUs } from '../core/clock.js';
import { MAX_BODY_BYTES, readBody } from './body.js';
import { allowHeadersFor, corsFor, requestIdFor, type CorsPolicy } from './cors.js';
import { RequestCtx, respondError, send, type ResponseRecorder } from './respond.js';
import { pathParamNames, RouteInput, type HttpMethod, type RouteSpec } from './route-spec.js';
import { checkJson, checkText, echo, type FieldError } from './validate.js';
import type { HttpMetrics } from './metrics.js';

const UWS_METHOD = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'del' } as const;
const JSON_CONTENT_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

interface PatternEntry {
  readonly methods: Set<HttpMethod>;
}

export interface RouterOptions {
  app: TemplatedApp;
  logger: Logger;
  metrics: HttpMetrics;
  cors: CorsPolicy;
}

export interface Router {
  route(spec: RouteSpec): void;
  routes(): readonly RouteSpec[];
  /** Bumped on every route(): lets the OpenAPI document be rebuilt only when routes change. */
  version(): number;
}

// Counted by headerProblem() through req.forEach; module state so the check allocates no closure.
let hostHeaders = 0;
let lengthHeaders = 0;
let lengthValue = '';
let lengthsDiffer = false;
function countHeader(key: string, value: string): void {
  if (key === 'host') hostHeaders++;
  else if (key === 'content-length') {
    if (lengthHeaders++ > 0 && value !== lengthValue) lengthsDiffer = true;
    lengthValue = value;
  }
}

/**
 * Request smuggling guards uWS v20.30 leaves to us: it reads the first of several
 * Content-Length headers (a proxy reading the last would frame the body differently). Only
 * requests that carry a Content-Length are walked, so a plain GET pays nothing. Missing Host,
 * malformed request lines and a Content-Length of 20 digits never reach a handler: uWS drops them
 * itself (see docs/OPERATIONS.md "Limits and protections" for the proxy settings).
 */
export function headerProblem(req: HttpRequest): string | undefined {
  if (req.getHeader('content-length') === '') return undefined;
  hostHeaders = 0;
  lengthHeaders = 0;
  lengthsDiffer = false;
  req.forEach(countHeader);
  if (lengthsDiffer) return 'conflicting Content-Length headers';
  if (lengthHeaders > 1) return 'duplicate Content-Length headers';
  if (hostHeaders > 1) return 'duplicate Host headers';
  return undefined;
}

export function createRouter(opts: RouterOptions): Router {
  const { app, metrics } = opts;
  const table: RouteSpec[] = [];
  const patterns = new Map<string, PatternEntry>();

  const begin = (res: HttpResponse, req: HttpRequest, head: boolean, recorder: ResponseRecorder): RequestCtx => {
    const [allowOrigin, vary] = corsFor(opts.cors, opts.cors.any ? '' : req.getHeader('origin'));
    const ctx = new RequestCtx(res, head, requestIdFor(req.getHeader('x-request-id')), allowOrigin, vary, monoUs(), recorder);
    const problem = headerProblem(req);
    if (problem !== undefined) {
      metrics.counters.inc('http.rejected.framing');
      respondError(ctx, 400, 'bad_request', `Malformed request: ${problem}`, { reason: problem }, undefined, true);
    }
    return ctx;
  };

  const notFound = metrics.recorder('unmatched');
  // One histogram each for all preflights and all wrong-method answers, not one per path
  // (an HDR histogram at 3 significant digits is ~150 KB).
  const preflight = metrics.recorder('OPTIONS (preflight)');
  const wrongMethod = metrics.recorder('405 (method not allowed)');
  app.any('/*', (res, req) => {
    const ctx = begin(res, req, req.getMethod() === 'head', notFound);
    if (ctx.done) return;
    respondError(ctx, 404, 'not_found', 'Not Found', { path: req.getUrl(), method: req.getCaseSensitiveMethod() });
  });

  const addPattern = (path: string): PatternEntry => {
    let entry = patterns.get(path);
    if (entry) return entry;
    entry = { methods: new Set() };
    patterns.set(path, entry);
    const methods = entry.methods;
    const allow = (): string => [...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    app.options(path, (res, req) => {
      const ctx = begin(res, req, false, preflight);
      if (ctx.done) return;
      send(ctx, 204, '', '', [
        ['allow', allow()],
        ['access-control-allow-methods', allow()],
        ['access-control-allow-headers', allowHeadersFor(req.getHeader('access-control-request-headers'))],
        ['access-control-max-age', '600'],
      ]);
    });
    app.any(path, (res, req) => {
      const ctx = begin(res, req, req.getMethod() === 'head', wrongMethod);
      if (ctx.done) return;
      const method = req.getCaseSensitiveMethod();
      respondError(ctx, 405, 'bad_request', 'Method Not Allowed', { method, allowed: allow() }, [['allow', allow()]]);
    });
    return entry;
  };

  let routesVersion = 0;
  return {
    route(spec: RouteSpec): void {
      const entry = addPattern(spec.path);
      if (entry.methods.has(spec.method)) throw new Error(`http: route ${spec.method} ${spec.path} registered twice`);
      entry.methods.add(spec.method);
      table.push(spec);
      routesVersion++;
      const recorder = metrics.recorder(`${spec.method} ${spec.path}`);
      const paramIndex = new Map(pathParamNames(spec.path).map((n, i) => [n, i] as const));
      const handle = (res: HttpResponse, req: HttpRequest, head: boolean): void => {
        const ctx = begin(res, req, head, recorder);
        if (ctx.done) return;
        dispatch(ctx, req, spec, paramIndex, opts.logger);
      };
      app[UWS_METHOD[spec.method]](spec.path, (res, req) => handle(res, req, false));
      if (spec.method === 'GET') app.head(spec.path, (res, req) => handle(res, req, true));
      registerEmptyTrailingParam(app, spec, recorder, begin);
    },
    routes: () => table,
    version: () => routesVersion,
  };
}

/**
 * `/api/v1/kills/system/` (empty id) does not match `/:system_id` in uWS and would be a 404;
 * answer 400 naming the parameter instead, as for any other bad id.
 */
function registerEmptyTrailingParam(
  app: TemplatedApp,
  spec: RouteSpec,
  recorder: ResponseRecorder,
  begin: (res: HttpResponse, req: HttpRequest, head: boolean, recorder: ResponseRecorder) => RequestCtx,
): void {
  const m = /^(.*\/):([A-Za-z0-9_]+)$/.exec(spec.path);
  if (!m) return;
  const [, prefix, name] = m as unknown as [string, string, string];
  const reject = (res: HttpResponse, req: HttpRequest, head: boolean): void => {
    const ctx = begin(res, req, head, recorder);
    if (!ctx.done) rejectField(ctx, { field: name, value: '', reason: 'required' }, messageFor(spec, name));
  };
  app[UWS_METHOD[spec.method]](prefix, (res, req) => reject(res, req, false));
  if (spec.method === 'GET') app.head(prefix, (res, req) => reject(res, req, true));
}

function dispatch(ctx: RequestCtx, req: HttpRequest, spec: RouteSpec, paramIndex: Map<string, number>, logger: Logger): void {
  const input = new RouteInput();
  const bad = readParams(req, spec, paramIndex, input);
  if (bad) {
    rejectField(ctx, bad, messageFor(spec, bad.field));
    return;
  }
  if (spec.headers) for (const h of spec.headers) input.setHeader(h, req.getHeader(h));
  if (spec.body) {
    readJsonBody(ctx, req, spec, input, logger);
    return;
  }
  run(ctx, spec, input, logger);
}

function readParams(req: HttpRequest, spec: RouteSpec, paramIndex: Map<string, number>, input: RouteInput): FieldError | undefined {
  if (!spec.params) return undefined;
  for (const p of spec.params) {
    let raw: string | undefined;
    if (p.in === 'path') {
      raw = req.getParameter(paramIndex.get(p.name) ?? -1);
      if (p.value.type === 'string') raw = safeDecode(raw);
    } else {
      raw = req.getQuery(p.name);
    }
    if (raw === undefined && p.required) return { field: p.name, value: null, reason: 'required' };
    const checked = checkText(p.value, raw);
    if (!checked.ok) return { field: p.name, value: echo(raw), reason: checked.reason };
    if (checked.value !== undefined) input.values.set(p.name, checked.value);
  }
  return undefined;
}

function safeDecode(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    // Malformed percent-encoding (URIError): validate the raw text as received instead.
    return text;
  }
}

function messageFor(spec: RouteSpec, field: string): string {
  const p = spec.params?.find((x) => x.name === field) ?? spec.body?.fields.find((x) => x.name === field);
  return p?.message ?? 'Invalid parameters';
}

function rejectField(ctx: RequestCtx, err: FieldError, message: string): void {
  respondError(ctx, 400, 'validation_error', message, { field: err.field, value: err.value, reason: err.reason });
}

function readJsonBody(ctx: RequestCtx, req: HttpRequest, spec: RouteSpec, input: RouteInput, logger: Logger): void {
  const contentType = req.getHeader('content-type');
  if (!JSON_CONTENT_TYPE.test(contentType)) {
    // 415 with code bad_request: the code list (docs/API.md#envelopes) has no media-type code. Close the
    // connection rather than read a body we will not use.
    respondError(
      ctx,
      415,
      'bad_request',
      'Content-Type must be application/json',
      { field: 'content-type', value: echo(contentType), expected: 'application/json' },
      undefined,
      true,
    );
    return;
  }
  const body = spec.body!;
  readBody(ctx, body.maxBytes ?? MAX_BODY_BYTES, req.getHeader('content-length')).then(
    (bytes) => {
      if (bytes === undefined) return; // 413 already sent, or the client is gone
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        respondError(ctx, 400, 'bad_request', 'Malformed JSON body', { field: 'body', reason: (err as Error).message });
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        rejectField(ctx, { field: 'body', value: echo(parsed), reason: 'expected a JSON object' }, 'Invalid parameters');
        return;
      }
      const bad = readFields(parsed as Record<string, unknown>, spec, input);
      if (bad) {
        rejectField(ctx, bad, messageFor(spec, bad.field));
        return;
      }
      run(ctx, spec, input, logger);
    },
    (err: unknown) => internalError(ctx, spec, err, logger),
  );
}

function readFields(obj: Record<string, unknown>, spec: RouteSpec, input: RouteInput): FieldError | undefined {
  for (const f of spec.body!.fields) {
    const raw = obj[f.name];
    if ((raw === undefined || raw === null) && f.required) return { field: f.name, value: null, reason: 'required' };
    const checked = checkJson(f.value, raw);
    if (!checked.ok) return { field: f.name, value: echo(raw), reason: checked.reason };
    if (checked.value !== undefined) input.values.set(f.name, checked.value);
  }
  return undefined;
}

function run(ctx: RequestCtx, spec: RouteSpec, input: RouteInput, logger: Logger): void {
  let result: void | Promise<void>;
  try {
    result = spec.handler(ctx, input);
  } catch (err) {
    internalError(ctx, spec, err, logger);
    return;
  }
  if (result === undefined) {
    // A handler that neither responded nor kept the response open would make uWS abort the
    // process ("returning from a request handler without responding"), or with a body (whose
    // reader already attached onAborted) leave the client hanging: answer 500 instead.
    if (!ctx.done && !ctx.keepOpen) internalError(ctx, spec, new Error('handler returned without responding'), logger);
    return;
  }
  // Attached before control returns to uWS, so no abort can be missed; continuations after
  // the handler's first await see ctx.aborted.
  if (!ctx.done) ctx.watchAbort();
  result.catch((err: unknown) => internalError(ctx, spec, err, logger));
}

function internalError(ctx: RequestCtx, spec: RouteSpec, err: unknown, logger: Logger): void {
  logger.error({ err, route: `${spec.method} ${spec.path}`, requestId: ctx.requestId }, 'http handler failed');
  if (!ctx.done && !ctx.aborted) respondError(ctx, 500, 'internal_server_error', 'Internal server error', { request_id: ctx.requestId });
}
