// Tables and queries of the push channels (migration 2): webhook subscriptions, their durable
// outbox, and the SSE Last-Event-ID resume read. Outbox rows are inserted by the writer
// (writer.ts, OutboxPlanner in core/ports.ts), inside the transaction that stores the kill, so a crash at any moment either loses
// both the kill and its deliveries or keeps both.
import type { OutboxRow, OutboxSummary, ResumeReader, ResumeRow, WebhookRow, WebhookStore } from '../core/ports.js';
import type { Db } from './open.js';

export const V2_PUSH = `
CREATE TABLE webhook_subscriptions (
  id                   TEXT PRIMARY KEY,
  subscriber_id        TEXT NOT NULL,
  callback_url         TEXT NOT NULL,
  system_ids           TEXT NOT NULL DEFAULT '',
  character_ids        TEXT NOT NULL DEFAULT '',
  secret               TEXT,
  enabled              INTEGER NOT NULL DEFAULT 1,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  created_at_ms        INTEGER NOT NULL,
  updated_at_ms        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_subscriptions_by_subscriber ON webhook_subscriptions (subscriber_id);

CREATE TABLE webhook_outbox (
  id              INTEGER PRIMARY KEY,
  subscription_id TEXT    NOT NULL,
  killmail_id     INTEGER NOT NULL,
  system_id       INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  due_at_ms       INTEGER NOT NULL,
  UNIQUE (subscription_id, killmail_id)
);
CREATE INDEX webhook_outbox_by_due ON webhook_outbox (subscription_id, due_at_ms);
`;

function splitIds(text: string): number[] {
  return text === '' ? [] : text.split(',').map(Number);
}

type SubRow = [string, string, string, string, string, string | null, number, number, number, number];

/** A subscription's columns in the order of the insert and upsert statements. */
function subscriptionParams(r: WebhookRow) {
  return [
    r.id,
    r.subscriberId,
    r.callbackUrl,
    r.systemIds.join(','),
    r.characterIds.join(','),
    r.secret,
    r.enabled ? 1 : 0,
    r.consecutiveFailures,
    r.createdAtMs,
    r.updatedAtMs,
  ] as const;
}

function toWebhookRow(r: SubRow): WebhookRow {
  return {
    id: r[0],
    subscriberId: r[1],
    callbackUrl: r[2],
    systemIds: splitIds(r[3]),
    characterIds: splitIds(r[4]),
    secret: r[5],
    enabled: r[6] === 1,
    consecutiveFailures: r[7],
    createdAtMs: r[8],
    updatedAtMs: r[9],
  };
}

/** The webhook tables on the writer connection (the one that stores kills). */
export function createWebhookStore(db: Db): WebhookStore {
  const st = {
    all: db
      .prepare<[], SubRow>(
        `SELECT id, subscriber_id, callback_url, system_ids, character_ids, secret, enabled,
      consecutive_failures, created_at_ms, updated_at_ms FROM webhook_subscriptions ORDER BY created_at_ms, id`,
      )
      .raw(),
    insert: db.prepare(`INSERT INTO webhook_subscriptions (id, subscriber_id, callback_url, system_ids, character_ids, secret,
      enabled, consecutive_failures, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsert: db.prepare(`INSERT INTO webhook_subscriptions (id, subscriber_id, callback_url, system_ids, character_ids, secret,
      enabled, consecutive_failures, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET subscriber_id = excluded.subscriber_id, callback_url = excluded.callback_url,
      system_ids = excluded.system_ids, character_ids = excluded.character_ids, secret = excluded.secret, enabled = excluded.enabled,
      consecutive_failures = excluded.consecutive_failures, updated_at_ms = excluded.updated_at_ms`),
    delSub: db.prepare<[string]>('DELETE FROM webhook_subscriptions WHERE id = ?'),
    idsOf: db.prepare<[string], string>('SELECT id FROM webhook_subscriptions WHERE subscriber_id = ?').pluck(),
    delSubs: db.prepare<[string]>('DELETE FROM webhook_subscriptions WHERE subscriber_id = ?'),
    delRowsOf: db.prepare<[string]>('DELETE FROM webhook_outbox WHERE subscription_id = ?'),
    setState: db.prepare<[number, number, number, string]>(
      'UPDATE webhook_subscriptions SET enabled = ?, consecutive_failures = ?, updated_at_ms = ? WHERE id = ?',
    ),
    summary: db
      .prepare<[], [string, number, number]>(
        'SELECT subscription_id, sum(attempts = 0), min(due_at_ms) FROM webhook_outbox GROUP BY subscription_id',
      )
      .raw(),
    summaryOf: db
      .prepare<[string], [number, number | null, number]>(
        'SELECT sum(attempts = 0), min(due_at_ms), count(*) FROM webhook_outbox WHERE subscription_id = ?',
      )
      .raw(),
    due: db
      .prepare<[string, number, number, number], [number, number, number, number]>(
        `SELECT id, killmail_id, system_id, attempts FROM webhook_outbox
       WHERE subscription_id = ? AND (due_at_ms <= ? OR (? = 1 AND attempts = 0)) ORDER BY id LIMIT ?`,
      )
      .raw(),
    reschedule: db.prepare<[number, string]>('UPDATE webhook_outbox SET due_at_ms = ? WHERE subscription_id = ?'),
    json: db.prepare<[number], string>('SELECT json FROM killmails WHERE killmail_id = ?').pluck(),
    del: db.prepare<[number]>('DELETE FROM webhook_outbox WHERE id = ?'),
    retry: db.prepare<[number, number, number]>('UPDATE webhook_outbox SET attempts = ?, due_at_ms = ? WHERE id = ?'),
    count: db.prepare<[], number>('SELECT count(*) FROM webhook_outbox').pluck(),
  };
  const deleteRows = db.transaction((ids: readonly number[]) => {
    for (const id of ids) st.del.run(id);
  });
  const retryRows = db.transaction((ids: readonly number[], attempts: number, dueAtMs: number) => {
    for (const id of ids) st.retry.run(attempts, dueAtMs, id);
  });
  const deleteSubscription = db.transaction((id: string): boolean => {
    st.delRowsOf.run(id);
    return st.delSub.run(id).changes > 0;
  });
  const deleteSubscriber = db.transaction((subscriberId: string): string[] => {
    const ids = st.idsOf.all(subscriberId);
    for (const id of ids) st.delRowsOf.run(id);
    st.delSubs.run(subscriberId);
    return ids;
  });
  return {
    subscriptions: () => st.all.all().map(toWebhookRow),
    insertSubscription(r) {
      st.insert.run(...subscriptionParams(r));
    },
    deleteSubscriber: (subscriberId) => deleteSubscriber.immediate(subscriberId),
    upsertSubscription(r) {
      st.upsert.run(...subscriptionParams(r));
    },
    deleteSubscription: (id) => deleteSubscription.immediate(id),
    setState: (id, enabled, failures, nowMs) => st.setState.run(enabled ? 1 : 0, failures, nowMs, id).changes > 0,
    summary: (): OutboxSummary[] => st.summary.all().map(([subscriptionId, fresh, nextDueMs]) => ({ subscriptionId, fresh, nextDueMs })),
    summaryOf(subscriptionId) {
      const r = st.summaryOf.get(subscriptionId);
      if (!r || r[2] === 0 || r[1] === null) return undefined;
      return { subscriptionId, fresh: r[0], nextDueMs: r[1] };
    },
    due: (subscriptionId, nowMs, includeFresh, limit): OutboxRow[] =>
      st.due
        .all(subscriptionId, nowMs, includeFresh ? 1 : 0, limit)
        .map(([id, killmailId, systemId, attempts]) => ({ id, killmailId, systemId, attempts })),
    reschedule(subscriptionId, atMs) {
      st.reschedule.run(atMs, subscriptionId);
    },
    killJson: (killmailId) => st.json.get(killmailId),
    delivered(rowIds) {
      if (rowIds.length > 0) deleteRows.immediate(rowIds);
    },
    retry(rowIds, attempts, dueAtMs) {
      if (rowIds.length > 0) retryRows.immediate(rowIds, attempts, dueAtMs);
    },
    pendingCount: () => st.count.get() ?? 0,
  };
}

type ResumeSqlRow = [number, number, number, string, number, number, string];

/** The Last-Event-ID read on the read connection (see ResumeReader). */
export function createResumeReader(db: Db): ResumeReader {
  const storedAt = db.prepare<[number], number>('SELECT stored_at_ms FROM killmails WHERE killmail_id = ?').pluck();
  // kill_time_ms >= stored - cutoff bounds the scan with killmails_by_time: a kill published live
  // was at most `cutoff` old when stored.
  const after = db
    .prepare<[number, number, number, number, number], ResumeSqlRow>(
      `SELECT killmail_id, system_id, total_value, character_ids, kill_time_ms, stored_at_ms, json FROM killmails
     WHERE kill_time_ms >= ? AND (stored_at_ms > ? OR (stored_at_ms = ? AND killmail_id > ?))
     ORDER BY stored_at_ms, killmail_id LIMIT ?`,
    )
    .raw();
  return {
    storedAfter(killmailId, cutoffMs, limit) {
      const at = storedAt.get(killmailId);
      if (at === undefined) return undefined;
      const floor = cutoffMs > 0 ? at - cutoffMs : Number.MIN_SAFE_INTEGER;
      const out: ResumeRow[] = [];
      for (const r of after.all(floor, at, at, killmailId, limit)) {
        // Stored but too old to publish ("older"): the live stream never carried it.
        if (cutoffMs > 0 && r[4] < r[5] - cutoffMs) continue;
        out.push({ killmailId: r[0], systemId: r[1], totalValue: r[2], characterIds: splitIds(r[3]), json: r[6] });
      }
      return out;
    },
  };
}
