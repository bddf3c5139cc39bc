// Entry shapes of the name cache, per namespace, and their lifetimes (docs/API.md#the-canonical-killmail).

export type Namespace = 'character' | 'corporation' | 'alliance' | 'type' | 'group' | 'system' | 'constellation';
export const NAMESPACES: readonly Namespace[] = ['character', 'corporation', 'alliance', 'type', 'group', 'system', 'constellation'];

/** Character/corporation/alliance names live 24 h (they change); static data never expires. */
export const ENTITY_TTL_MS = 24 * 3_600_000;
export const PERMANENT = Number.POSITIVE_INFINITY;

export interface EntityEntry {
  name: string | undefined;
  ticker: string | undefined;
  expiresAtMs: number;
}
export interface TypeEntry {
  name: string;
  groupId: number;
  expiresAtMs: number;
}
export interface GroupEntry {
  name: string;
  categoryId: number;
  expiresAtMs: number;
}
export interface SystemEntry {
  name: string;
  securityStatus: number;
  constellationId: number;
  /** Undefined until the constellation lookup gave it. */
  regionId: number | undefined;
  expiresAtMs: number;
}
export interface ConstellationEntry {
  regionId: number;
  expiresAtMs: number;
}
/** ESI answered 404 for this id: leave it as an id until `expiresAtMs`. */
export interface Unresolvable {
  unresolvable: true;
  expiresAtMs: number;
}

export interface EntryOf {
  character: EntityEntry;
  corporation: EntityEntry;
  alliance: EntityEntry;
  type: TypeEntry;
  group: GroupEntry;
  system: SystemEntry;
  constellation: ConstellationEntry;
}
export type Cached<N extends Namespace> = EntryOf[N] | Unresolvable;
