// A version per system, bumped by the writer and retention whenever a kill of that system is
// stored, replaced, re-enriched or pruned. Readers that keep answers built from the store (the
// REST answer cache) compare versions instead of being told about each write: a Map lookup per
// request, and nothing to wire between stages. Versions come from one counter, so a value is
// never reused. One entry per system ever written (EVE has ~8,500): bounded.
//
// Another process may write the same file (`wkills db dead-letters retry` beside a server): the
// writer connection's PRAGMA data_version moves only on other connections' commits (and their
// checkpoints), so it is polled at most every EXTERNAL_CHECK_MS and a move bumps every system at
// once. Such answers are therefore at most that old. The store's own writer thread commits on
// another connection too: after applying each of its batches the writer calls absorbOwn(), so
// those moves bump only the systems the batch changed. A side process's commit that lands in the
// same instant is then caught by the side-writes marker its batches move (side-writes.ts).

export const EXTERNAL_CHECK_MS = 100;

export interface SystemVersions {
  get(systemId: number): number;
  bump(systemId: number): void;
  /** Every system changed (another process wrote the file). */
  bumpAll(): void;
  /** The data_version moves seen so far were this process's own writer thread's commits. */
  absorbOwn(): void;
}

/**
 * `externalVersion` returns the writer connection's data_version (omitted: no other writer is
 * possible, e.g. ':memory:'); `nowMs` is the clock for the polling interval.
 */
export function createSystemVersions(externalVersion?: () => number, nowMs: () => number = Date.now): SystemVersions {
  const versions = new Map<number, number>();
  let seq = 0;
  // Every system's version is at least `all`: bumpAll raises them all in O(1).
  let all = 0;
  let lastExternal = externalVersion?.() ?? 0;
  let nextCheckMs = 0;
  const self: SystemVersions = {
    get(systemId) {
      if (externalVersion !== undefined) {
        const now = nowMs();
        if (now >= nextCheckMs) {
          nextCheckMs = now + EXTERNAL_CHECK_MS;
          const v = externalVersion();
          if (v !== lastExternal) {
            lastExternal = v;
            self.bumpAll();
          }
        }
      }
      const v = versions.get(systemId) ?? 0;
      return v > all ? v : all;
    },
    bump(systemId) {
      versions.set(systemId, ++seq);
    },
    bumpAll() {
      all = ++seq;
    },
    absorbOwn() {
      if (externalVersion !== undefined) lastExternal = externalVersion();
    },
  };
  return self;
}
