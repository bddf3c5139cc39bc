// Webhook subscriptions (docs/API.md "Webhooks"): kept in SQLite, indexed in memory with the
// same matching rule as the WebSocket lobby and SSE (match-index.ts). Each stored kill that
// matches an enabled subscription becomes an outbox row in the transaction that stores it (the
// service plans the rows before the batch, the store's writer inserts those of stored kills:
// OutboxPlanner in core/ports.ts), so no delivery is lost to a crash; delivery.ts drains the outbox.
import { randomBytes } from 'node:crypto';
import type { KillRecord } from '../../core/killmail.js';
import type {
  KillWriteOutcome,
  NewWebhookSubscription,
  OutboxPlan,
  SubscriptionChange,
  WebhookRow,
  WebhookService,
  WebhookStore,
  WebhookSubscription,
} from '../../core/ports.js';
import type { Config } from '../../config/index.js';
import type { Counters, Logger } from '../../telemetry/index.js';
import { MatchIndex } from '../match-index.js';
import { createPoster, type WebhookPoster } from './client.js';
import { createDelivery, type Delivery, type SubState } from './delivery.js';
import { checkCallbackUrl, type Resolver } from './ssrf.js';

export interface WebhooksOptions {
  config: Config;
  logger: Logger;
  counters: Counters;
  store: WebhookStore;
  nowMs?: () => number;
  /** DNS for the SSRF guard (tests). */
  resolver?: Resolver;
  poster?: WebhookPoster;
  /** A local change to a subscription (created, re-enabled, failures, deleted): a cluster shares it. */
  onChange?: (change: SubscriptionChange) => void;
}

export interface Webhooks extends WebhookService {
  /** The store writer's outbox planner (writer.setOutbox): rows for the kills that match. */
  plan(records: readonly KillRecord[]): OutboxPlan | undefined;
  /** The planned rows of the kills that were stored are in the outbox: schedule their delivery. */
  committed(plan: OutboxPlan, records: readonly KillRecord[], outcomes: readonly KillWriteOutcome[]): void;
  /** A cluster peer's change: applied here without being shared again. */
  applyRemote(change: SubscriptionChange): void;
  start(): void;
  stop(): Promise<void>;
}

function view(row: WebhookRow): WebhookSubscription {
  return {
    id: row.id,
    subscriber_id: row.subscriberId,
    callback_url: row.callbackUrl,
    system_ids: row.systemIds,
    character_ids: row.characterIds,
    enabled: row.enabled,
    consecutive_failures: row.consecutiveFailures,
    has_secret: row.secret !== null,
    created_at: new Date(row.createdAtMs).toISOString(),
    updated_at: new Date(row.updatedAtMs).toISOString(),
  };
}

function sameTargets(a: WebhookRow, b: WebhookRow): boolean {
  return a.callbackUrl === b.callbackUrl && a.systemIds.join() === b.systemIds.join() && a.characterIds.join() === b.characterIds.join();
}

export function parseRetryDelays(text: string): number[] {
  const delays = text.split(',').map((t) => Number(t.trim()));
  if (delays.length === 0 || delays.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`webhookRetryMs: expected comma-separated non-negative integers, got ${JSON.stringify(text)}`);
  }
  return delays;
}

export function createWebhooks(opts: WebhooksOptions): Webhooks {
  const { config, store, counters } = opts;
  const nowMs = opts.nowMs ?? Date.now;
  const subs = new Map<string, SubState>();
  const index = new MatchIndex<SubState>();
  const cutoffMs = config.cutoffSeconds * 1000;
  const poster =
    opts.poster ??
    createPoster({
      allowPrivate: config.allowPrivateWebhooks,
      timeoutMs: config.webhookTimeoutMs,
      connectionsPerOrigin: config.webhookMaxPerHost,
      ...(opts.resolver && { resolver: opts.resolver }),
    });
  const delivery: Delivery = createDelivery({
    store,
    poster,
    counters,
    logger: opts.logger,
    nowMs,
    subs,
    batchMs: config.webhookBatchMs,
    retryDelaysMs: parseRetryDelays(config.webhookRetryMs),
    maxPerHost: config.webhookMaxPerHost,
    userAgent: 'WandererKills/1.0 (wanderer-kills-ts)',
    ...(opts.onChange && { onStateChange: (row: WebhookRow) => opts.onChange?.({ kind: 'put', row }) }),
  });

  function drop(id: string): void {
    const s = subs.get(id);
    if (!s) return;
    index.remove(s, s.row.systemIds, s.row.characterIds);
    subs.delete(id);
  }

  function add(row: WebhookRow): SubState {
    const s: SubState = {
      row,
      matchStamp: 0,
      host: new URL(row.callbackUrl).host,
      busy: false,
      fresh: 0,
      nextDueMs: Infinity,
      holdUntilMs: 0,
    };
    subs.set(row.id, s);
    index.add(s, row.systemIds, row.characterIds);
    return s;
  }

  // Set per plan() call (no closure per kill): the rows being planned.
  let planning: { records: number[]; subscriptionIds: string[] } = { records: [], subscriptionIds: [] };
  let planned = 0;
  const addRow = (s: SubState): void => {
    if (!s.row.enabled) return;
    planning.records.push(planned);
    planning.subscriptionIds.push(s.row.id);
  };

  return {
    plan(records) {
      if (subs.size === 0) return undefined;
      const now = nowMs();
      planning = { records: [], subscriptionIds: [] };
      for (let i = 0; i < records.length; i++) {
        const kill = records[i] as KillRecord;
        // Kills past the cutoff are stored but never broadcast: webhooks follow the bus.
        if (cutoffMs > 0 && kill.killTimeMs < now - cutoffMs) continue;
        planned = i;
        index.forEachMatch(kill, addRow);
      }
      if (planning.records.length === 0) return undefined;
      return { ...planning, dueAtMs: now + config.webhookBatchMs };
    },
    committed(plan, _records, outcomes) {
      let enqueued = 0;
      for (let j = 0; j < plan.records.length; j++) {
        if (outcomes[plan.records[j] as number] !== 'stored') continue;
        // Deleted meanwhile: the writer did not insert its row.
        const sub = subs.get(plan.subscriptionIds[j] as string);
        if (sub === undefined) continue;
        delivery.noteEnqueued(sub, plan.dueAtMs);
        enqueued++;
      }
      if (enqueued > 0) {
        counters.inc('webhooks.enqueued', enqueued);
        delivery.kick();
      }
    },
    checkCallback: (url) => (config.allowPrivateWebhooks ? Promise.resolve(null) : checkCallbackUrl(url, opts.resolver)),
    create(n: NewWebhookSubscription) {
      const now = nowMs();
      const row: WebhookRow = {
        id: randomBytes(16).toString('base64url'),
        subscriberId: n.subscriberId,
        callbackUrl: n.callbackUrl,
        systemIds: n.systemIds,
        characterIds: n.characterIds,
        secret: n.secret ?? null,
        enabled: true,
        consecutiveFailures: 0,
        createdAtMs: now,
        updatedAtMs: now,
      };
      store.insertSubscription(row);
      add(row);
      opts.onChange?.({ kind: 'put', row });
      counters.inc('webhooks.subscriptions_created');
      return view(row);
    },
    list: () => [...subs.values()].map((s) => view(s.row)),
    removeSubscriber(subscriberId) {
      const ids = store.deleteSubscriber(subscriberId);
      for (const id of ids) {
        drop(id);
        opts.onChange?.({ kind: 'delete', id });
      }
      return ids.length;
    },
    enable(id) {
      const s = subs.get(id);
      if (!s) return false;
      const now = nowMs();
      store.setState(id, true, 0, now);
      store.reschedule(id, now);
      s.row = { ...s.row, enabled: true, consecutiveFailures: 0, updatedAtMs: now };
      s.holdUntilMs = 0;
      opts.onChange?.({ kind: 'put', row: s.row });
      delivery.resync(s);
      delivery.kick();
      return true;
    },
    applyRemote(change) {
      if (change.kind === 'delete') {
        store.deleteSubscription(change.id);
        drop(change.id);
        return;
      }
      const { row } = change;
      const known = subs.get(row.id);
      if (known && known.row.updatedAtMs > row.updatedAtMs) return; // an older echo of a local change
      store.upsertSubscription(row);
      if (known && sameTargets(known.row, row)) {
        const wasDisabled = !known.row.enabled;
        known.row = row;
        if (wasDisabled && row.enabled) known.holdUntilMs = 0;
      } else {
        drop(row.id);
        add(row);
      }
      delivery.resync(subs.get(row.id) as SubState);
      delivery.kick();
    },
    stats() {
      let enabled = 0;
      for (const s of subs.values()) if (s.row.enabled) enabled++;
      return {
        subscriptions: subs.size,
        enabled,
        disabled: subs.size - enabled,
        pending_deliveries: store.pendingCount(),
        ...delivery.stats(),
      };
    },
    start() {
      for (const row of store.subscriptions()) add(row);
      delivery.start();
    },
    async stop() {
      await delivery.stop();
      await poster.close();
    },
  };
}
