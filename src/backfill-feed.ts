// What `wkills backfill` (src/cli) needs from the feeds stage, re-exported at the composition
// level: the CLI meets the stages only through src/app.ts and its siblings, never directly.
export { createBackfillFeed, daysBetween, fileUnits, historyDayUnit, type BackfillFeed, type BackfillUnit } from './feeds/index.js';
