// Slots for SSE and webhooks: declared here so dashboards, alerts and docs can rely on the names
// before the push stage records them (see docs/OPERATIONS.md "Recording").
import { counter, gauge, histogram, type StageDecls } from '../registry.js';

export const pushMetrics = {
  wkills_sse_connections: gauge('Open SSE streams', 'connections'),
  wkills_sse_opened_total: counter('SSE streams opened', 'connections', ['sse.opened']),
  wkills_sse_kills_sent_total: counter('Kills written to SSE streams (one per stream)', 'kills', ['sse.kills_sent']),
  wkills_sse_closed_total: counter(
    'SSE streams closed, by reason (client_close, slow_reader, held_overflow, server_shutdown)',
    'connections',
    ['sse.closed.{reason}'],
    ['reason'],
  ),
  wkills_sse_send_seconds: histogram('Time to write one kill to every matching SSE stream'),
  wkills_ingest_to_sse_seconds: histogram('Time from feed receipt to the kill written to the SSE streams'),
  wkills_webhook_deliveries_total: counter(
    'Webhook deliveries, by result (ok, failed, gave_up)',
    'deliveries',
    ['webhook.deliveries.{result}'],
    ['result'],
  ),
  wkills_webhook_kills_enqueued_total: counter('Kills put in the webhook outbox (one per matching subscription)', 'kills', [
    'webhooks.enqueued',
  ]),
  wkills_webhook_kills_delivered_total: counter('Kills delivered to webhook callbacks', 'kills', ['webhooks.kills_delivered']),
  wkills_webhook_kills_dropped_total: counter('Kills dropped after a callback kept failing past its retries', 'kills', [
    'webhooks.kills_dropped',
  ]),
  wkills_webhook_deliveries_failed_total: counter(
    'Webhook deliveries that failed: one of their POSTs failed (retried later)',
    'deliveries',
    ['webhooks.deliveries_failed'],
  ),
  wkills_webhook_disabled_total: counter('Webhook subscriptions disabled after repeated failures', 'subscriptions', ['webhooks.disabled']),
  wkills_webhook_subscriptions_created_total: counter('Webhook subscriptions created', 'subscriptions', ['webhooks.subscriptions_created']),
  wkills_webhook_outbox: gauge('Webhook deliveries waiting in the outbox', 'deliveries'),
  wkills_webhook_delivery_seconds: histogram('Webhook delivery time, request to response'),
} as const satisfies StageDecls;
