// Fan-out stage: the Phoenix WebSocket and the in-process bus.
import { counter, gauge, histogram, type StageDecls } from '../registry.js';

export const fanoutMetrics = {
  wkills_ws_connections_opened_total: counter('WebSocket connections accepted', 'connections', ['ws.connections_opened']),
  wkills_ws_connections_closed_total: counter('WebSocket connections closed, by reason', 'connections', ['ws.closed.{reason}'], ['reason']),
  wkills_ws_dropped_total: counter(
    'Frames or sockets dropped: slow_consumer disconnects, backpressure drops',
    'events',
    ['ws.dropped.{reason}'],
    ['reason'],
  ),
  wkills_ws_send_after_close_total: counter('Sends attempted on a socket already closed', 'sends', ['ws.send.after_close']),
  wkills_ws_joins_total: counter('Channel joins, by channel', 'joins', ['ws.joins.{channel}'], ['channel']),
  wkills_ws_events_total: counter('Channel events answered, by reply status', 'events', ['ws.events.{status}'], ['status']),
  wkills_ws_bad_frames_total: counter('Frames refused, by reason', 'frames', ['ws.bad_frame.{reason}'], ['reason']),
  wkills_ws_rate_limited_total: counter('Sockets closed for sending more frames per second than allowed', 'sockets', ['ws.rate_limited']),
  wkills_ws_rate_limited_address_total: counter('Connections refused or closed by the per-address frame budget', 'connections', [
    'ws.rate_limited_address',
  ]),
  wkills_ws_channel_errors_total: counter('Channel handlers that threw', 'errors', ['ws.channel_errors']),
  wkills_ws_unmatched_topic_total: counter('Messages for a topic the socket has not joined', 'messages', ['ws.unmatched_topic']),
  wkills_ws_stale_join_ref_total: counter('Messages ignored for a stale join reference', 'messages', ['ws.ignored.stale_join_ref']),
  wkills_ws_upgrade_rejected_total: counter(
    'WebSocket upgrades refused, by reason',
    'upgrades',
    ['ws.upgrade_rejected.{reason}'],
    ['reason'],
  ),
  wkills_ws_vsn_fallback_total: counter('V2 sockets that switched to the V1 serializer', 'sockets', ['ws.vsn_fallback_v1']),
  wkills_ws_kills_sent_total: counter('Kills sent to sockets, by kind (realtime, preload)', 'kills', ['ws.kills_sent.{kind}'], ['kind']),
  wkills_ws_kills_broadcast_total: counter('Kills broadcast (once per kill)', 'kills', ['ws.kills_broadcast']),
  wkills_ws_kill_count_updates_total: counter('kill_count_update messages sent', 'messages', ['ws.kill_count_updates']),
  wkills_ws_kill_count_read_errors_total: counter('kill_count_update store reads that failed', 'errors', ['ws.kill_count.read_errors']),
  wkills_ws_resumes_total: counter('killmails:lobby joins with since (replays started)', 'joins', ['ws.resumes'], []),
  wkills_ws_resume_events_total: counter(
    'since replays: paused for a slow reader, read errors',
    'events',
    ['ws.resume.{event}'],
    ['event'],
  ),
  wkills_ws_preload_events_total: counter(
    'Preload events: paused, read errors, dropped/skipped after unsubscribe',
    'events',
    ['ws.preload.{event}'],
    ['event'],
  ),
  wkills_bus_listener_errors_total: counter('Bus listeners that threw', 'errors', ['bus.listener_errors']),
  wkills_ws_connections: gauge('Open WebSocket connections', 'connections'),
  wkills_ws_subscriptions: gauge('Active channel subscriptions, by channel', 'subscriptions', [], ['channel']),
  wkills_ws_subscribed_systems: gauge('Solar systems with at least one subscriber', 'systems'),
  wkills_ws_subscribed_characters: gauge('Characters with at least one subscriber', 'characters'),
  wkills_ws_broadcast_send_seconds: histogram('Time to send one kill to every subscribed WebSocket'),
} as const satisfies StageDecls;
