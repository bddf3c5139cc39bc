// Child process for crash.test.ts: writes batches of kills forever and prints the last id of
// each batch only after writeBatch returned (the commit is in the WAL). The parent kill -9s it.
// stdout to a pipe is synchronous on Linux, so a printed id was committed before it was printed.
import { openStore } from '../../../src/store/index.js';
import { makeKill } from './helpers.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-child.ts DB_PATH');
const BATCH = 64;
const store = openStore({ path, retentionHours: 0 });
// As in `serve`: the checkpoint thread runs too, so the kill can land mid-checkpoint.
store.start();
// Resume after the last committed batch, as a feed resumes from its cursor.
let next = Number(store.cursors.getCursor('crash-test') ?? '0') + 1;
const systems = [30000142, 30002187, 30045349];

function writeOne(): void {
  const records = Array.from({ length: BATCH }, (_, i) => {
    const id = next + i;
    return makeKill({
      id,
      systemId: systems[id % systems.length] as number,
      characterIds: [90_000_000 + (id % 1000), 95_000_000 + id],
      padTo: 2000,
    });
  });
  const last = next + BATCH - 1;
  store.writer.writeBatch(records, [{ name: 'crash-test', value: String(last) }]);
  process.stdout.write(`${last}\n`);
  next = last + 1;
  setImmediate(writeOne);
}

process.stdout.write('ready\n');
writeOne();
