// `wkills bench abuse`: each attack (bench/abuse/attack.ts, its own process) runs for --duration
// seconds beside a well-behaved REST load on the real server (`wkills serve` in a child process,
// real store file); the well-behaved clients' p50/p99 are compared with the same load without an
// attack, measured first in the same run (target: p99 within 2x). Server RSS peak per phase from
// /proc. node --import tsx bench/abuse/run.ts [--duration 20] [--clients 8] [--attacks a,b] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo, printTable } from '../common.js';
import { fillStore } from '../rest/data.js';
import { cliArgs, script, TS_EXEC_ARGV } from '../runner.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8' },
    attacks: { type: 'string', default: 'pipeline,ws-frames,ws-connections,status-flood,malformed' },
    json: { type: 'boolean', default: false },
  },
});
const durationS = Number(a.duration);

async function startServer(db: string): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    ...cliArgs(),
    'serve',
    '--source',
    'none',
    '--db',
    db,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--status-interval-seconds',
    '0',
    '--log-level',
    'info',
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    lines.on('line', (l) => {
      const m = /"port":(\d+)[^}]*"msg":"http listening"/.exec(l);
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, port };
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

interface Phase {
  attack: string;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  rssPeak: number;
  attackCounts: string;
}

/** The well-behaved load: `clients` loops of a 20-kill system query and /ping for durationS. */
async function measure(port: number, pid: number, attack: string, systemIds: number[]): Promise<Phase> {
  const lat: number[] = [];
  let errors = 0;
  let rssPeak = rssMb(pid);
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 250);
  let attacker: ChildProcess | undefined;
  let attackOut = '';
  if (attack !== 'none') {
    attacker = spawn(
      process.execPath,
      [...TS_EXEC_ARGV, script(new URL('./attack.ts', import.meta.url)), attack, String(port), String(durationS), String(systemIds[0])],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    attacker.stdout!.on('data', (d: Buffer) => (attackOut += d.toString()));
    await new Promise((r) => setTimeout(r, 1500)); // the attack is under way (tsx start-up) before we measure
  }
  const endAt = Date.now() + (attack === 'none' ? durationS : durationS - 2) * 1000;
  await Promise.all(
    Array.from({ length: Number(a.clients) }, async (_, c) => {
      for (let i = 0; Date.now() < endAt; i++) {
        const path = i % 2 === 0 ? '/ping' : `/api/v1/kills/system/${systemIds[(c + i) % systemIds.length]}?limit=20`;
        const t0 = performance.now();
        try {
          const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
          await res.arrayBuffer();
          if (res.status !== 200) errors++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - t0);
      }
    }),
  );
  if (attacker && attacker.exitCode === null) await once(attacker, 'exit');
  clearInterval(sampler);
  lat.sort((x, y) => x - y);
  const q = (p: number): number => Math.round((lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0) * 10) / 10;
  let attackCounts = '';
  try {
    const { name: _name, ...counts } = JSON.parse(attackOut.trim()) as Record<string, unknown>;
    attackCounts = Object.entries(counts)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
  } catch {
    attackCounts = attack === 'none' ? '' : 'attack output missing';
  }
  return { attack, requests: lat.length, errors, p50: q(0.5), p99: q(0.99), rssPeak, attackCounts };
}

const dir = mkdtempSync(join(tmpdir(), 'wk-bench-abuse-'));
try {
  const db = join(dir, 'bench.db');
  const fill = fillStore({ path: db, systems: 10, killsPerSystem: 500, seed: 11 });
  const { child, port } = await startServer(db);
  const pid = child.pid!;
  const phases: Phase[] = [];
  for (const attack of ['none', ...a.attacks.split(',').filter((x) => x !== '')]) {
    process.stderr.write(`phase ${attack} (${durationS} s)\n`);
    phases.push(await measure(port, pid, attack, fill.systemIds));
    await new Promise((r) => setTimeout(r, 2000)); // let the server settle between phases
  }
  child.kill('SIGTERM');
  await once(child, 'exit');
  const base = phases[0]!;
  const rows = phases.map((p) => ({
    attack: p.attack,
    'good req/s': Math.round(p.requests / durationS),
    'p50 ms': p.p50,
    'p99 ms': p.p99,
    'p99 vs none': p === base ? '1.00' : (p.p99 / Math.max(base.p99, 0.1)).toFixed(2),
    errors: p.errors,
    'server RSS peak MB': p.rssPeak,
    'attack did': p.attackCounts,
  }));
  if (a.json) process.stdout.write(JSON.stringify({ machine: machineInfo(), durationS, clients: Number(a.clients), rows }, null, 2) + '\n');
  else printTable(`bench abuse: ${a.clients} well-behaved clients (/ping + 20-kill system query), ${durationS} s per phase`, rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
