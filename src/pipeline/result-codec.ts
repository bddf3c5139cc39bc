// msgpackr encoding of worker -> main result records. Both sides build the Packr from this module
// with the same predefined record structures, so every record is a compact structure reference
// and the main thread decodes without JSON (docs/ARCHITECTURE.md#rings-and-records).
// maxSharedStructures equals the predefined count: an unexpected shape is written inline (still
// decodable) and never appended to the shared list, which would make the two sides diverge.
import { Packr } from 'msgpackr';
import type { KillRecord } from '../core/killmail.js';
import type { FailReason, PipelineOutcome, SourceKind } from '../core/ports.js';
import { sourceCode, sourceKind } from './entry-header.js';

const KILL_RESULT_KEYS = ['entryId', 'seq', 'source', 'older', 'kill'];
const KILL_RECORD_KEYS = [
  'killmailId',
  'systemId',
  'killTimeMs',
  'characterIds',
  'characterText',
  'victimCharacterId',
  'totalValue',
  'npc',
  'json',
  'replace',
  'enriched',
  'receivedAtUs',
];
const FAIL_RESULT_KEYS = ['entryId', 'seq', 'source', 'reason', 'message'];

export interface KillResult {
  entryId: number;
  seq: number;
  source: number;
  older: boolean;
  kill: KillRecord;
}

export interface FailResult {
  entryId: number;
  seq: number;
  source: number;
  reason: FailReason;
  message: string;
  /** The entry, for failures worth another try (esi_fetch); written inline, off the shared structure. */
  body?: Uint8Array;
}

export type WireResult = KillResult | FailResult;

export function createResultPackr(): Packr {
  const structures = [KILL_RESULT_KEYS.slice(), KILL_RECORD_KEYS.slice(), FAIL_RESULT_KEYS.slice()];
  return new Packr({ structures, useRecords: true, maxSharedStructures: structures.length });
}

/** Rebuild a KillRecord with the shared key order so msgpackr matches the predefined structure. */
export function orderedKill(k: KillRecord): KillRecord {
  return {
    killmailId: k.killmailId,
    systemId: k.systemId,
    killTimeMs: k.killTimeMs,
    characterIds: k.characterIds,
    characterText: k.characterText ?? k.characterIds.join(','),
    victimCharacterId: k.victimCharacterId,
    totalValue: k.totalValue,
    npc: k.npc,
    json: k.json,
    replace: k.replace,
    enriched: k.enriched,
    receivedAtUs: k.receivedAtUs,
  };
}

export function killResult(entryId: number, seq: number, source: SourceKind, older: boolean, kill: KillRecord): KillResult {
  return { entryId, seq, source: sourceCode(source), older, kill: orderedKill(kill) };
}

export function failResult(entryId: number, seq: number, source: SourceKind, reason: FailReason, message: string): FailResult {
  return { entryId, seq, source: sourceCode(source), reason, message };
}

export function isKillResult(r: WireResult): r is KillResult {
  return (r as KillResult).kill !== undefined;
}

export function toOutcome(r: WireResult): PipelineOutcome {
  const source = sourceKind(r.source);
  if (isKillResult(r)) return { kind: 'kill', kill: r.kill, older: r.older, seq: r.seq, source };
  const failed: PipelineOutcome = { kind: 'failed', reason: r.reason, message: r.message, seq: r.seq, source };
  // msgpackr hands binary back as a view of the decode buffer, which the next record reuses: copy.
  if (r.body !== undefined) failed.body = new Uint8Array(r.body);
  return failed;
}
