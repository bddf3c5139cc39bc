// `wkills db stats|vacuum` and `wkills sde import`: maintenance on the configured database.
import Database from 'better-sqlite3';
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import { importSde, openStore, servingPid } from '../app.js';

export async function runSdeImport(config: Config, source: string): Promise<void> {
  // Open through the store first so the file exists and carries the current schema.
  const store = openStore({ path: config.db, retentionHours: config.retentionHours });
  store.close();
  const db = new Database(config.db);
  try {
    const result = await importSde(db, source);
    if (result.warning !== undefined) process.stderr.write(`wkills: sde import: ${result.warning}\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    db.close();
  }
}

export function runDb(config: Config, action: string): void {
  if (action !== 'stats' && action !== 'vacuum') {
    throw new WkError(
      'ERR_CONFIG_INVALID',
      `invalid configuration:\n  - db action must be stats or vacuum (got ${JSON.stringify(action)})`,
    );
  }
  const pid = action === 'vacuum' ? servingPid(config.db) : undefined;
  if (pid !== undefined) {
    // VACUUM holds the write lock while it rewrites the whole file: every write of the server
    // would wait for it. Compact with the server stopped.
    throw new WkError(
      'ERR_DB_IN_USE',
      `${config.db} is being served by process ${pid} (wkills serve): stop it before \`wkills db vacuum\` (vacuum locks the database while it rewrites the file)`,
    );
  }
  const store = openStore({ path: config.db, retentionHours: config.retentionHours, checkpointThread: false });
  try {
    if (action === 'vacuum') store.vacuum();
    process.stdout.write(`${JSON.stringify(store.report(), null, 2)}\n`);
  } finally {
    store.close();
  }
}
