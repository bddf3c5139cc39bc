// Shared builders for the store tests: KillRecords with real-looking canonical JSON and a
// temporary folder per test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KillRecord } from '../../../src/core/killmail.js';

export interface KillSpec {
  id: number;
  systemId?: number;
  killTimeMs?: number;
  characterIds?: number[];
  victimCharacterId?: number;
  totalValue?: number;
  replace?: boolean;
  enriched?: boolean;
  /** Pad the JSON to about this many characters (the bench uses 2 KB). */
  padTo?: number;
  label?: string;
}

export function makeKill(k: KillSpec): KillRecord {
  const systemId = k.systemId ?? 30000142;
  const killTimeMs = k.killTimeMs ?? Date.now();
  const characterIds = k.characterIds ?? [];
  const body = {
    killmail_id: k.id,
    kill_time: new Date(killTimeMs).toISOString(),
    system_id: systemId,
    victim: { character_id: k.victimCharacterId ?? characterIds[0], ship_type_id: 587, damage_taken: 100 },
    attackers: characterIds.slice(1).map((id) => ({ character_id: id, damage_done: 10, final_blow: false, security_status: 0 })),
    attacker_count: Math.max(0, characterIds.length - 1),
    zkb: { hash: 'h' + k.id, totalValue: k.totalValue ?? 1000, labels: [k.label ?? 'loc:highsec'] },
    pad: '',
  };
  let json = JSON.stringify(body);
  if (k.padTo !== undefined && json.length < k.padTo) {
    body.pad = 'x'.repeat(k.padTo - json.length);
    json = JSON.stringify(body);
  }
  return {
    killmailId: k.id,
    systemId,
    killTimeMs,
    characterIds,
    victimCharacterId: k.victimCharacterId ?? characterIds[0] ?? 0,
    totalValue: k.totalValue ?? 1000,
    npc: false,
    json,
    replace: k.replace ?? false,
    enriched: k.enriched ?? true,
    receivedAtUs: 0,
  };
}

export function idsOf(texts: readonly string[]): number[] {
  return texts.map((t) => (JSON.parse(t) as { killmail_id: number }).killmail_id);
}

export function tempDir(prefix = 'wk-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
