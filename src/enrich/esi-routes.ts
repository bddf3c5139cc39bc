// ESI's route groups: the unit of our concurrency caps, latency histograms and rate-limit
// buckets. A leaf module, so the gate and the shared limit state both depend on it and not on
// each other.

export type EsiRouteGroup =
  'names' | 'types' | 'groups' | 'systems' | 'constellations' | 'corporations' | 'alliances' | 'characters' | 'killmails';

export const ESI_ROUTE_GROUPS: readonly EsiRouteGroup[] = [
  'names',
  'types',
  'groups',
  'systems',
  'constellations',
  'corporations',
  'alliances',
  'characters',
  'killmails',
];
