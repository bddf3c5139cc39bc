// The zkb block for a killmail, derived deterministically from the ESI body and a seeded stream.
// Values and labels follow zKillboard's vocabulary (tz:, cat:, #:, loc:, isk:, pvp/npc, solo,
// awox) so consumers filtering on them see realistic input.
import { ALL_TYPES, GROUPS_BY_ID, GROUP_VALUE_ISK, SYSTEMS_BY_ID, securityClass } from './data.js';
import type { EsiKillmail, ZkbMeta } from './esi-types.js';
import type { Rng } from './rng.js';

const COUNT_BUCKETS: readonly [number, string][] = [
  [1000, '#:1000+'],
  [100, '#:100+'],
  [50, '#:50+'],
  [25, '#:25+'],
  [10, '#:10+'],
  [5, '#:5+'],
  [2, '#:2+'],
  [1, '#:1'],
];
const ISK_BUCKETS: readonly [number, string][] = [
  [100e9, 'isk:100b+'],
  [10e9, 'isk:10b+'],
  [5e9, 'isk:5b+'],
  [1e9, 'isk:1b+'],
];

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** zKillboard's time-zone label from the UTC hour of the kill. */
function tzLabel(killTime: string): string {
  const hour = new Date(killTime).getUTCHours();
  if (Number.isNaN(hour)) return 'tz:eu';
  if (hour < 4) return 'tz:use';
  if (hour < 9) return 'tz:usw';
  if (hour < 14) return 'tz:au';
  if (hour < 17) return 'tz:ru';
  return 'tz:eu';
}

function locLabel(systemId: number): string {
  const s = SYSTEMS_BY_ID.get(systemId);
  if (s) return `loc:${securityClass(s)}`;
  if (systemId >= 31_000_000 && systemId < 32_000_000) return 'loc:w-space';
  return 'loc:nullsec';
}

export function buildZkb(esi: EsiKillmail, hash: string, rng: Rng, esiBaseUrl: string, extraLabels: readonly string[]): ZkbMeta {
  const shipType = ALL_TYPES.get(esi.victim.ship_type_id);
  const groupId = shipType?.groupId ?? 0;
  const category = GROUPS_BY_ID.get(groupId)?.categoryId ?? 6;
  const hull = GROUP_VALUE_ISK.get(groupId) ?? 20_000_000;
  const fitted = round2(hull * (1 + rng.next() * 0.8));
  const cargo = round2((esi.victim.items?.length ?? 0) * rng.next() * hull * 0.05);
  const total = round2(fitted + cargo);
  const dropped = round2(total * rng.next() * 0.6);
  const npc = esi.attackers.every((a) => a.character_id === undefined && !isStructureHull(a.ship_type_id));
  const players = esi.attackers.filter((a) => a.character_id !== undefined).length;
  const solo = !npc && players === 1 && esi.attackers.length <= 2;
  const awox = esi.attackers.some(
    (a) => a.character_id !== undefined && a.corporation_id !== undefined && a.corporation_id === esi.victim.corporation_id,
  );
  const count = esi.attackers.length;

  const labels = [tzLabel(esi.killmail_time), `cat:${category}`];
  const bucket = COUNT_BUCKETS.find(([min]) => count >= min);
  if (bucket) labels.push(bucket[1]);
  labels.push(npc ? 'npc' : 'pvp');
  if (solo) labels.push('solo');
  if (awox) labels.push('awox');
  labels.push(locLabel(esi.solar_system_id));
  const isk = ISK_BUCKETS.find(([min]) => total >= min);
  if (isk) labels.push(isk[1]);
  for (const l of extraLabels) if (!labels.includes(l)) labels.push(l);

  return {
    locationID: esi.moon_id ?? 40_000_000 + ((esi.solar_system_id * 7 + rng.int(0, 40)) % 9_000_000),
    hash,
    fittedValue: fitted,
    droppedValue: dropped,
    destroyedValue: round2(total - dropped),
    totalValue: total,
    points: npc ? 1 : Math.max(1, Math.min(100, Math.round(Math.log10(total + 1) * 3 - count / 10))),
    npc,
    solo,
    awox,
    labels,
    attackerCount: count,
    href: `${esiBaseUrl}/killmails/${esi.killmail_id}/${hash}/`,
  };
}

function isStructureHull(typeId: number | undefined): boolean {
  if (typeId === undefined) return false;
  const g = ALL_TYPES.get(typeId)?.groupId;
  return g !== undefined && GROUPS_BY_ID.get(g)?.categoryId === 65;
}
