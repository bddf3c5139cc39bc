// A version per system, bumped by the writer and retention whenever a kill of that system is
// stored, replaced, re-enriched or pruned. Readers that keep answers built from the store (the
// REST answer cache) compare versions instead of being told about each write: a Map lookup per
// request, and nothing to wire between stages. Versions come from one counter, so a value is
// never reused. One entry per system ever written (EVE has ~8,500): bounded.

export interface SystemVersions {
  get(systemId: number): number;
  bump(systemId: number): void;
}

export function createSystemVersions(): SystemVersions {
  const versions = new Map<number, number>();
  let seq = 0;
  return {
    get: (systemId) => versions.get(systemId) ?? 0,
    bump(systemId) {
      versions.set(systemId, ++seq);
    },
  };
}
