// The message that carries one stored kill (or a later change to it) through the KILLS stream.
// msgpack, not JSON: the canonical JSON travels as the same text the leader stored, so an edge
// stores and serves byte-identical copies and never parses or re-encodes a kill.
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { KillRecord } from '../core/killmail.js';

/**
 * kill: first copy (stored by the leader, or already stored there when a new leader re-ingests).
 * replace: a `sequence_updated` copy that supersedes the stored one (never broadcast again).
 * names: the same kill with names completed late (stored as an update, never broadcast).
 */
export type ReplicatedKind = 'kill' | 'replace' | 'names';

export interface ReplicatedKill {
  kind: ReplicatedKind;
  record: KillRecord;
  /** Older than the leader's cutoff: stored on edges, never broadcast as live. */
  older: boolean;
}

// Positional arrays keep the wire small and the decode free of key look-ups.
type Wire = [ReplicatedKind, number, number, number, number[], number, number, boolean, string, boolean, number, boolean];

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeReplicated(m: ReplicatedKill): Uint8Array {
  const r = m.record;
  const wire: Wire = [
    m.kind,
    r.killmailId,
    r.systemId,
    r.killTimeMs,
    r.characterIds,
    r.victimCharacterId,
    r.totalValue,
    r.npc,
    r.json,
    r.enriched,
    r.receivedAtUs,
    m.older,
  ];
  return packr.pack(wire);
}

/** Throws on a message that is not ours (a foreign publisher on the subject): the caller counts it. */
export function decodeReplicated(bytes: Uint8Array): ReplicatedKill {
  const w = packr.unpack(bytes) as Wire;
  if (!Array.isArray(w) || w.length !== 12 || typeof w[8] !== 'string') throw new Error('not a replicated kill');
  const [kind, killmailId, systemId, killTimeMs, characterIds, victimCharacterId, totalValue, npc, json, enriched, receivedAtUs, older] = w;
  if (kind !== 'kill' && kind !== 'replace' && kind !== 'names') throw new Error(`unknown kind ${String(kind)}`);
  return {
    kind,
    older,
    record: {
      killmailId,
      systemId,
      killTimeMs,
      characterIds,
      victimCharacterId,
      totalValue,
      npc,
      json,
      replace: kind === 'replace',
      enriched,
      receivedAtUs,
    },
  };
}

/**
 * JetStream's message id, so a new leader's re-publish of the same change is dropped by the
 * stream's duplicate window: a kill is its id; a replacement or a name completion is its id plus
 * a digest of the new text (two different replacements of one kill are two messages).
 */
export function messageId(m: ReplicatedKill): string {
  if (m.kind === 'kill') return String(m.record.killmailId);
  const digest = createHash('sha1').update(m.record.json).digest('base64url').slice(0, 16);
  return `${m.record.killmailId}.${m.kind}.${digest}`;
}

/** Kills by system (consumers may filter by system); name completions on one subject of their own. */
export function subjectFor(prefix: string, m: ReplicatedKill): string {
  return m.kind === 'names' ? `${prefix}.names` : `${prefix}.${m.record.systemId}`;
}

/** A name completion carries only what the edge updates: the kill's id and its new text. */
export function namesChange(killmailId: number, json: string, enriched: boolean): ReplicatedKill {
  return {
    kind: 'names',
    older: true,
    record: {
      killmailId,
      systemId: 0,
      killTimeMs: 0,
      characterIds: [],
      victimCharacterId: 0,
      totalValue: 0,
      npc: false,
      json,
      replace: false,
      enriched,
      receivedAtUs: 0,
    },
  };
}
