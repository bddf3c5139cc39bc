// `wkills sde import FILE_OR_URL`: loads fuzzwork SDE CSV dumps (invGroups.csv, invTypes.csv,
// mapSolarSystems.csv) into sde_groups/sde_types/sde_systems so a fresh install resolves ship
// and system names without thousands of ESI calls. Files are recognised by their header row,
// so renamed files work. Types: every type, published or not, of the categories a killmail can
// name as a victim's or an attacker's `ship_type_id` (KILLABLE_CATEGORIES: ships, structures,
// starbases, deployables, NPCs, drones, fighters...; ~14,700 of the SDE's 50,000 types); item
// types still resolve through ESI /universe/types/{id}/ on demand. invTypes.csv imported with no
// groups known keeps every type, since it cannot tell categories apart. All groups are kept
// (1,555 rows), so a group name is known for every type the ESI path adds later. All solar
// systems are kept.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { WkError } from '../core/errors.js';
import { columnIndex, parseCsv } from './csv.js';

export const SHIP_CATEGORY_ID = 6;
/**
 * SDE categories whose types appear as a killmail's victim or attacker `ship_type_id`. Found by
 * replaying real kills: customs offices (Orbitals), POS modules (Starbase), mobile tractor units
 * (Deployable), fighters, rat and sentry-gun attackers (Entity), Triglavian pylons (Celestial),
 * missiles that land the final blow (Charge). Unpublished NPC types are kept too.
 */
export const KILLABLE_CATEGORIES: ReadonlySet<number> = new Set([
  2, // Celestial
  3, // Station
  SHIP_CATEGORY_ID,
  8, // Charge
  11, // Entity (NPCs, sentry guns)
  18, // Drone
  22, // Deployable
  23, // Starbase
  40, // Sovereignty Structures
  46, // Orbitals
  65, // Structure
  87, // Fighter
]);
const FILE_NAMES = ['invGroups.csv', 'invTypes.csv', 'mapSolarSystems.csv'];

export interface SdeImportResult {
  types: number;
  groups: number;
  systems: number;
  /** Data rows without a usable id or name. */
  skipped: number;
  /** Set when the import did something the operator should know (types without groups). */
  warning?: string;
}

type Kind = 'groups' | 'types' | 'systems';

/** `source`: a folder with the fuzzwork CSVs, one CSV file, or an http(s) URL of a file or a folder ending in '/'. */
export async function importSde(db: Database, source: string): Promise<SdeImportResult> {
  const texts = await loadSources(source);
  const byKind = new Map<Kind, string[][]>();
  for (const text of texts) {
    const rows: string[][] = [];
    parseCsv(text, (r) => rows.push(r));
    const kind = kindOf(rows[0] ?? []);
    if (kind === undefined)
      throw new WkError('ERR_SDE_IMPORT', `sde import: unrecognised CSV header: ${(rows[0] ?? []).slice(0, 4).join(',')}`);
    byKind.set(kind, rows);
  }
  if (byKind.size === 0)
    throw new WkError('ERR_SDE_IMPORT', `sde import: no fuzzwork CSV found in ${source} (expected ${FILE_NAMES.join(', ')})`);
  const result: SdeImportResult = { types: 0, groups: 0, systems: 0, skipped: 0 };
  db.transaction(() => {
    const groups = byKind.get('groups');
    if (groups !== undefined) insertGroups(db, groups, result);
    const types = byKind.get('types');
    if (types !== undefined) insertTypes(db, types, killableGroups(db), result);
    const systems = byKind.get('systems');
    if (systems !== undefined) insertSystems(db, systems, result);
  })();
  return result;
}

function kindOf(header: readonly string[]): Kind | undefined {
  if (columnIndex(header, 'solarSystemID') >= 0) return 'systems';
  if (columnIndex(header, 'typeID') >= 0 && columnIndex(header, 'typeName') >= 0) return 'types';
  if (columnIndex(header, 'groupID') >= 0 && columnIndex(header, 'groupName') >= 0) return 'groups';
  return undefined;
}

async function loadSources(source: string): Promise<string[]> {
  if (/^https?:\/\//i.test(source)) {
    const urls = source.endsWith('/') ? FILE_NAMES.map((f) => source + f) : [source];
    const texts: string[] = [];
    for (const url of urls) {
      const text = await fetchText(url, urls.length > 1);
      if (text !== undefined) texts.push(text);
    }
    return texts;
  }
  const info = await stat(source).catch((err: unknown) => {
    throw new WkError('ERR_SDE_IMPORT', `sde import: cannot read ${source} (${(err as { code?: string }).code ?? String(err)})`);
  });
  if (!info.isDirectory()) return [await readLocal(source)];
  const present = new Set(await readdir(source));
  return Promise.all(FILE_NAMES.filter((f) => present.has(f)).map((f) => readLocal(join(source, f))));
}

async function readLocal(path: string): Promise<string> {
  rejectCompressed(path);
  return readFile(path, 'utf8');
}

/** `optional`: a folder URL may lack some of the three files (404 → skipped). */
async function fetchText(url: string, optional: boolean): Promise<string | undefined> {
  rejectCompressed(url);
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (res.status === 404 && optional) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) throw new WkError('ERR_SDE_IMPORT', `sde import: GET ${url} answered ${res.status}`);
  return res.text();
}

function rejectCompressed(path: string): void {
  // No bzip2 decoder among the dependencies; fuzzwork serves .csv.bz2, so say what to do.
  if (/\.bz2$/i.test(path)) throw new WkError('ERR_SDE_IMPORT', `sde import: ${path} is bzip2-compressed; decompress it first (bzip2 -dk)`);
}

function toInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function toNum(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '' || v === 'None') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function cols(header: readonly string[], names: readonly string[]): number[] {
  return names.map((name) => {
    const i = columnIndex(header, name);
    if (i < 0) throw new WkError('ERR_SDE_IMPORT', `sde import: column ${name} missing from header`);
    return i;
  });
}

function insertGroups(db: Database, rows: string[][], out: SdeImportResult): void {
  const [gi, ci, ni] = cols(rows[0] ?? [], ['groupID', 'categoryID', 'groupName']) as [number, number, number];
  const stmt = db.prepare('INSERT OR REPLACE INTO sde_groups (group_id, name, category_id) VALUES (?, ?, ?)');
  for (const r of rows.slice(1)) {
    const id = toInt(r[gi]);
    const cat = toInt(r[ci]);
    const name = r[ni];
    if (id === undefined || cat === undefined || name === undefined || name === '') {
      out.skipped++;
      continue;
    }
    stmt.run(id, name, cat);
    out.groups++;
  }
}

/** Groups of KILLABLE_CATEGORIES, or undefined when no group is known at all. */
function killableGroups(db: Database): Set<number> | undefined {
  const rows = db.prepare('SELECT group_id, category_id FROM sde_groups').all() as { group_id: number; category_id: number }[];
  if (rows.length === 0) return undefined;
  return new Set(rows.filter((r) => KILLABLE_CATEGORIES.has(r.category_id)).map((r) => r.group_id));
}

/** `killable` undefined (no groups known): every type is kept, with a warning. */
function insertTypes(db: Database, rows: string[][], killable: ReadonlySet<number> | undefined, out: SdeImportResult): void {
  if (killable === undefined) {
    out.warning = 'no groups known (import invGroups.csv to keep only killable categories): every type was imported';
  }
  const [ti, gi, ni] = cols(rows[0] ?? [], ['typeID', 'groupID', 'typeName']) as [number, number, number];
  const stmt = db.prepare('INSERT OR REPLACE INTO sde_types (type_id, name, group_id) VALUES (?, ?, ?)');
  for (const r of rows.slice(1)) {
    const id = toInt(r[ti]);
    const group = toInt(r[gi]);
    const name = r[ni];
    if (id === undefined || id <= 0 || group === undefined || name === undefined || name === '') {
      out.skipped++;
      continue;
    }
    if (killable !== undefined && !killable.has(group)) continue;
    stmt.run(id, name, group);
    out.types++;
  }
}

function insertSystems(db: Database, rows: string[][], out: SdeImportResult): void {
  const names = ['solarSystemID', 'solarSystemName', 'security', 'constellationID', 'regionID'];
  const [si, ni, sec, ci, ri] = cols(rows[0] ?? [], names) as [number, number, number, number, number];
  const stmt = db.prepare(
    'INSERT OR REPLACE INTO sde_systems (system_id, name, security_status, constellation_id, region_id) VALUES (?, ?, ?, ?, ?)',
  );
  for (const r of rows.slice(1)) {
    const id = toInt(r[si]);
    const name = r[ni];
    const security = toNum(r[sec]);
    const constellation = toInt(r[ci]);
    const region = toInt(r[ri]);
    if (
      id === undefined ||
      name === undefined ||
      name === '' ||
      security === undefined ||
      constellation === undefined ||
      region === undefined
    ) {
      out.skipped++;
      continue;
    }
    stmt.run(id, name, security, constellation, region);
    out.systems++;
  }
}
