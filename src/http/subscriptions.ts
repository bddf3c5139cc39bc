// /api/v1/subscriptions routes (docs/API.md "Subscriptions API"): webhook subscriptions with the
// original service's normalisation, validation order and messages, listed together with the
// live WebSocket subscriptions. Mutating routes need `Authorization: Bearer <api token>` when
// one is configured.
import { timingSafeEqual } from 'node:crypto';
import type { NewWebhookSubscription, WebhookService } from '../core/ports.js';
import { readBody, MAX_BODY_BYTES } from './body.js';
import { isoTimestamp, respondData, respondError, type RequestCtx } from './respond.js';
import type { RouteInput, RouteSpec } from './route-spec.js';
import { errorResponses } from './openapi-schemas.js';

export const MAX_SUB_SYSTEMS = 100;
export const MAX_SUB_CHARACTERS = 1000;
const MAX_SECRET = 256;
const MAX_TEXT = 2048;

/** A WebSocket subscription as the list shows it (src/fanout registry). */
export interface WsSubscriptionView {
  id: string;
  subscriber_id: string;
  system_ids: number[];
  character_ids: number[];
  created_at: string;
}

export interface SubscriptionRouteDeps {
  webhooks: WebhookService;
  wsSubscriptions: () => readonly WsSubscriptionView[];
  sseConnections: () => number;
  /** Empty: no token required. */
  apiToken: string;
}

export type ParsedSubscription = { ok: true; sub: NewWebhookSubscription } | { ok: false; field: string; message: string };

/** Non-list → [], non-integers dropped, deduplicated, sorted ascending (as the original). */
export function normaliseIds(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  const ids = v.filter((x): x is number => typeof x === 'number' && Number.isSafeInteger(x));
  return [...new Set(ids)].sort((a, b) => a - b);
}

function validUrl(text: string): URL | undefined {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** The original's validation order: the first failure wins. */
export function parseSubscription(body: Record<string, unknown>): ParsedSubscription {
  const fail = (field: string, message: string): ParsedSubscription => ({ ok: false, field, message });
  const { subscriber_id: subscriberId, callback_url: callbackUrl, secret } = body;
  if (typeof subscriberId !== 'string' || subscriberId.trim() === '') return fail('subscriber_id', 'subscriber_id is required');
  if (subscriberId.length > MAX_TEXT) return fail('subscriber_id', `subscriber_id must be at most ${MAX_TEXT} characters`);
  if (callbackUrl === undefined || callbackUrl === null || callbackUrl === '') return fail('callback_url', 'callback_url is required');
  if (typeof callbackUrl !== 'string' || callbackUrl.length > MAX_TEXT || !validUrl(callbackUrl)) {
    return fail('callback_url', 'callback_url must be a valid HTTP/HTTPS URL');
  }
  const systemIds = normaliseIds(body.system_ids);
  const characterIds = normaliseIds(body.character_ids);
  if (systemIds.some((id) => id <= 0)) return fail('system_ids', 'system_ids must be an array of positive integers');
  if (characterIds.some((id) => id <= 0)) return fail('character_ids', 'character_ids must be an array of positive integers');
  if (systemIds.length === 0 && characterIds.length === 0) return fail('system_ids', 'At least one system_id or character_id is required');
  if (systemIds.length > MAX_SUB_SYSTEMS) return fail('system_ids', `Maximum ${MAX_SUB_SYSTEMS} system_ids allowed per subscription`);
  if (characterIds.length > MAX_SUB_CHARACTERS)
    return fail('character_ids', `Maximum ${MAX_SUB_CHARACTERS} character_ids allowed per subscription`);
  if (secret !== undefined && secret !== null && (typeof secret !== 'string' || secret === '' || secret.length > MAX_SECRET)) {
    return fail('secret', `secret must be a non-empty string of at most ${MAX_SECRET} characters`);
  }
  return { ok: true, sub: { subscriberId, callbackUrl, systemIds, characterIds, secret: typeof secret === 'string' ? secret : undefined } };
}

function tokenOk(header: string, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** False (401 sent) when a token is configured and the request does not carry it. */
function authorised(ctx: RequestCtx, input: RouteInput, token: string): boolean {
  if (token === '' || tokenOk(input.header('authorization'), token)) return true;
  // 401 with code bad_request: the error envelope's code list has no authentication code.
  respondError(ctx, 401, 'bad_request', 'Missing or invalid API token', { header: 'authorization', expected: 'Bearer <token>' }, [
    ['www-authenticate', 'Bearer'],
  ]);
  return false;
}

async function create(deps: SubscriptionRouteDeps, ctx: RequestCtx, input: RouteInput, contentType: string): Promise<void> {
  if (!authorised(ctx, input, deps.apiToken)) return;
  if (!/^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    respondError(ctx, 415, 'bad_request', 'Content-Type must be application/json', { field: 'content-type', expected: 'application/json' });
    return;
  }
  const bytes = await readBody(ctx, MAX_BODY_BYTES, input.header('content-length'));
  if (bytes === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    respondError(ctx, 400, 'bad_request', 'Malformed JSON body', { field: 'body', reason: (err as Error).message });
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    respondError(ctx, 400, 'validation_error', 'Request body must be a JSON object', { field: 'body' });
    return;
  }
  const result = parseSubscription(parsed as Record<string, unknown>);
  if (!result.ok) {
    respondError(ctx, 400, 'validation_error', result.message, { field: result.field });
    return;
  }
  const refused = await deps.webhooks.checkCallback(new URL(result.sub.callbackUrl));
  if (refused !== null) {
    respondError(ctx, 400, 'validation_error', refused, { field: 'callback_url', reason: 'ssrf' });
    return;
  }
  const sub = deps.webhooks.create(result.sub);
  respondData(ctx, JSON.stringify({ subscription_id: sub.id, message: 'Subscription created successfully' }), 201);
}

function list(deps: SubscriptionRouteDeps, ctx: RequestCtx): void {
  const webhooks = deps.webhooks.list().map((s) => ({ ...s, type: 'webhook' }));
  const ws = deps.wsSubscriptions().map((s) => ({ ...s, type: 'websocket', callback_url: null, updated_at: s.created_at }));
  const subscriptions = [...webhooks, ...ws];
  respondData(ctx, JSON.stringify({ subscriptions, count: subscriptions.length }));
}

function stats(deps: SubscriptionRouteDeps, ctx: RequestCtx): void {
  const webhooks = deps.webhooks.list();
  const ws = deps.wsSubscriptions();
  const systems = new Set<number>();
  const characters = new Set<number>();
  for (const s of [...webhooks, ...ws]) {
    for (const id of s.system_ids) systems.add(id);
    for (const id of s.character_ids) characters.add(id);
  }
  const sse = deps.sseConnections();
  respondData(
    ctx,
    JSON.stringify({
      total_subscriptions: webhooks.length + ws.length + sse,
      websocket_subscriptions: ws.length,
      webhook_subscriptions: webhooks.length,
      sse_subscriptions: sse,
      total_systems: systems.size,
      total_characters: characters.size,
      // Index entries × an estimated 64 bytes each (a Map entry plus its Set slot).
      memory_usage: (systems.size + characters.size) * 64,
      ...deps.webhooks.stats(),
    }),
  );
}

const SUB_ID = {
  name: 'subscriber_id',
  in: 'path',
  required: true,
  description: 'Subscriber id given at creation',
  value: { type: 'string', maxLength: MAX_TEXT },
} as const;
const ID = { name: 'id', in: 'path', required: true, description: 'Subscription id', value: { type: 'string', maxLength: 64 } } as const;

export function subscriptionRoutes(deps: SubscriptionRouteDeps): RouteSpec[] {
  const tags = ['subscriptions'];
  return [
    {
      method: 'POST',
      path: '/api/v1/subscriptions',
      operationId: 'createSubscription',
      tags,
      headers: ['authorization', 'content-type', 'content-length'],
      summary: 'Create a webhook subscription: body {subscriber_id, callback_url, system_ids?[≤100], character_ids?[≤1000], secret?}',
      responses: { 201: { description: '{data: {subscription_id, message}}' }, ...errorResponses(400, 401, 413) },
      handler: (ctx, input) => create(deps, ctx, input, input.header('content-type')),
    },
    {
      method: 'GET',
      path: '/api/v1/subscriptions',
      operationId: 'listSubscriptions',
      tags,
      summary: 'Webhook and WebSocket subscriptions: {subscriptions, count}',
      responses: { 200: { description: 'The subscriptions' } },
      handler: (ctx) => list(deps, ctx),
    },
    {
      method: 'GET',
      path: '/api/v1/subscriptions/stats',
      operationId: 'subscriptionStats',
      tags,
      summary: 'Subscription counts and webhook delivery figures',
      responses: { 200: { description: 'Counts' } },
      handler: (ctx) => stats(deps, ctx),
    },
    {
      method: 'DELETE',
      path: '/api/v1/subscriptions/:subscriber_id',
      operationId: 'deleteSubscriber',
      tags,
      params: [SUB_ID],
      headers: ['authorization'],
      summary: 'Remove every webhook subscription of a subscriber (200 even when it had none)',
      responses: { 200: { description: '{message, subscriber_id}' }, ...errorResponses(400, 401) },
      handler: (ctx, input) => {
        if (!authorised(ctx, input, deps.apiToken)) return;
        const subscriberId = input.str('subscriber_id');
        deps.webhooks.removeSubscriber(subscriberId);
        respondData(ctx, JSON.stringify({ message: 'Successfully unsubscribed', subscriber_id: subscriberId }));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/subscriptions/:id/enable',
      operationId: 'enableSubscription',
      tags,
      params: [ID],
      headers: ['authorization'],
      summary: 'Re-enable a subscription disabled after failed deliveries; pending deliveries resume',
      responses: { 200: { description: '{subscription_id, enabled, message}' }, ...errorResponses(401, 404) },
      handler: (ctx, input) => {
        if (!authorised(ctx, input, deps.apiToken)) return;
        const id = input.str('id');
        if (!deps.webhooks.enable(id)) {
          respondError(ctx, 404, 'not_found', 'Subscription not found', { id });
          return;
        }
        respondData(
          ctx,
          JSON.stringify({ subscription_id: id, enabled: true, message: 'Subscription enabled', timestamp: isoTimestamp() }),
        );
      },
    },
  ];
}
