// Shared OpenAPI component schemas: the canonical killmail (docs/API.md#the-canonical-killmail) and the envelopes
// (docs/API.md#rest). Route specs point at them with ref(); openapi.ts emits them under components.
import type { JsonSchema, ResponseSpec } from './route-spec.js';

export function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

const INT = { type: 'integer' } as const;
const NUM = { type: 'number' } as const;
const STR = { type: 'string' } as const;
const BOOL = { type: 'boolean' } as const;
const ISO = { type: 'string', format: 'date-time' } as const;

const NAMES = {
  character_id: INT,
  character_name: STR,
  corporation_id: INT,
  corporation_name: STR,
  corporation_ticker: STR,
  alliance_id: INT,
  alliance_name: STR,
  alliance_ticker: STR,
  faction_id: INT,
} as const;

function envelope(data: JsonSchema): JsonSchema {
  return { type: 'object', required: ['data', 'timestamp'], properties: { data, timestamp: ISO } };
}

const killList = { type: 'array', items: ref('Killmail') } as const;

/** Keys whose value is null are omitted, so optional keys are absent rather than null. */
export const COMPONENT_SCHEMAS: Record<string, JsonSchema> = {
  Killmail: {
    type: 'object',
    description: 'Canonical killmail (one shape for REST, WebSocket, SSE and webhooks). Keys with null values are omitted.',
    required: ['killmail_id', 'kill_time', 'system_id', 'victim', 'attackers', 'attacker_count'],
    properties: {
      killmail_id: INT,
      kill_time: ISO,
      system_id: INT,
      solar_system_name: STR,
      region_id: INT,
      security_status: NUM,
      moon_id: INT,
      war_id: INT,
      victim: ref('Victim'),
      attackers: { type: 'array', items: ref('Attacker') },
      attacker_count: INT,
      zkb: ref('Zkb'),
    },
  },
  Victim: {
    type: 'object',
    required: ['ship_type_id', 'damage_taken'],
    properties: {
      ...NAMES,
      ship_type_id: INT,
      ship_name: STR,
      ship_group_id: INT,
      ship_group_name: STR,
      damage_taken: INT,
      position: { type: 'object', required: ['x', 'y', 'z'], properties: { x: NUM, y: NUM, z: NUM } },
    },
  },
  Attacker: {
    type: 'object',
    required: ['damage_done', 'final_blow', 'security_status'],
    properties: {
      ...NAMES,
      ship_type_id: INT,
      ship_name: STR,
      weapon_type_id: INT,
      damage_done: INT,
      final_blow: BOOL,
      security_status: NUM,
    },
  },
  Zkb: {
    type: 'object',
    description: "zKillboard's own camelCase keys",
    required: ['hash', 'fittedValue', 'droppedValue', 'destroyedValue', 'totalValue', 'points', 'npc', 'solo', 'awox', 'labels'],
    properties: {
      locationID: INT,
      hash: STR,
      fittedValue: NUM,
      droppedValue: NUM,
      destroyedValue: NUM,
      totalValue: NUM,
      points: INT,
      npc: BOOL,
      solo: BOOL,
      awox: BOOL,
      labels: { type: 'array', items: STR },
    },
  },
  Error: {
    type: 'object',
    required: ['error', 'code', 'details', 'timestamp'],
    properties: {
      error: STR,
      code: {
        type: 'string',
        enum: ['bad_request', 'not_found', 'validation_error', 'rate_limited', 'payload_too_large', 'unavailable', 'internal_server_error'],
      },
      details: { type: ['object', 'null'], description: 'For a rejected input: {field, value, reason}' },
      timestamp: ISO,
    },
  },
  SystemKillsEnvelope: envelope({
    type: 'object',
    required: ['kills', 'timestamp', 'cached'],
    properties: { kills: killList, timestamp: ISO, cached: BOOL },
  }),
  SystemsKillsEnvelope: envelope({
    type: 'object',
    required: ['systems_kills', 'timestamp'],
    properties: { systems_kills: { type: 'object', additionalProperties: killList, description: 'Keyed by system id' }, timestamp: ISO },
  }),
  KillmailEnvelope: envelope(ref('Killmail')),
  Health: {
    type: 'object',
    required: ['healthy', 'status', 'components', 'timestamp'],
    properties: {
      healthy: BOOL,
      status: { type: 'string', enum: ['ok', 'degraded'] },
      timestamp: ISO,
      components: {
        type: 'object',
        additionalProperties: { type: 'object', required: ['healthy', 'message'], properties: { healthy: BOOL, message: STR } },
      },
    },
  },
  WebSocketStatus: {
    type: 'object',
    required: ['status', 'active_connections', 'active_subscriptions', 'uptime_seconds', 'timestamp'],
    properties: {
      status: { type: 'string', enum: ['operational', 'degraded'] },
      active_connections: INT,
      active_subscriptions: INT,
      uptime_seconds: INT,
      timestamp: ISO,
    },
  },
  KillCountEnvelope: envelope({
    type: 'object',
    required: ['system_id', 'count', 'since_hours', 'timestamp'],
    properties: { system_id: INT, count: INT, since_hours: INT, timestamp: ISO },
  }),
};

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `details` names the field ({field, value, reason}), or the body is not JSON (bad_request)',
  401: 'Missing or invalid `Authorization: Bearer` API token (bad_request)',
  404: 'Not found (not_found)',
  405: 'Method not allowed on this path (bad_request)',
  413: 'Body over 1 MiB (payload_too_large)',
  415: 'Content-Type is not application/json (bad_request)',
  429: 'Too many requests (rate_limited)',
  500: 'Internal error (internal_server_error)',
  503: 'A dependency is unavailable (unavailable)',
};

/** Error responses in the error envelope, for the given status codes. */
export function errorResponses(...statuses: number[]): Record<number, ResponseSpec> {
  const out: Record<number, ResponseSpec> = {};
  for (const s of statuses) out[s] = { description: ERROR_TEXT[s] ?? 'Error', schema: ref('Error') };
  return out;
}
