// The simulator's HTTP server (node:http on loopback): R2Z2, RedisQ, ESI and the zKB API, all
// from one published log, plus `/_sim/*` control routes. Every request takes the same path:
// classify → plan faults → handler → count → write (with the fault applied).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimEsi } from './esi.js';
import { FaultInjector, validateFaults, type FaultSpec } from './faults.js';
import { FeedLog } from './feed-log.js';
import { NameBook } from './names.js';
import type { SimOptions, SimStats, Simulator } from './options.js';
import * as r2z2 from './r2z2.js';
import { RedisQ } from './redisq.js';
import { loadReplay, type ReplaySource } from './replay.js';
import { json, notFound, writeResponse, type SimResponse } from './respond.js';
import { classify, readBody, routeName, type Family } from './routes.js';
import { createGeneratedSource, type KillSource } from './source.js';

export type { SimOptions, SimStats, Simulator } from './options.js';

export function createSimulator(opts: SimOptions = {}): Simulator {
  return new SimServer(opts);
}

class SimServer implements Simulator {
  // The served hrefs point at this server, whose port is only known after listen(); bodies are
  // built lazily on request, so filling esiBaseUrl in at start() is early enough.
  private readonly gen: { seed: number; esiBaseUrl: string; startKillmailId?: number; hugeEvery?: number; killAgeMs: number };
  private readonly book: NameBook;
  private readonly replay: ReplaySource | undefined;
  private readonly log: FeedLog;
  private readonly redisq: RedisQ;
  private readonly esi: SimEsi;
  private readonly faults: FaultInjector;
  private readonly r2z2Ctx: r2z2.R2z2Context;
  private readonly listeners = new Set<(lastSequence: number) => void>();
  private readonly counts = {
    requests: {} as Record<string, number>,
    statuses: {} as Record<string, number>,
    routeStatuses: {} as Record<string, Record<string, number>>,
  };
  private handlerErrors = 0;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private baseUrl = '';
  private publishedCount = 0;

  constructor(private readonly opts: SimOptions) {
    const seed = opts.seed ?? 1;
    const startSequence = opts.startSequence ?? 90_000_000;
    this.gen = { seed, esiBaseUrl: '', killAgeMs: opts.killAgeMs ?? 0 };
    if (opts.startKillmailId !== undefined) this.gen.startKillmailId = opts.startKillmailId;
    if (opts.hugeEvery !== undefined) this.gen.hugeEvery = opts.hugeEvery;
    this.book = new NameBook(opts.unresolvableIds ?? []);
    let source: KillSource;
    if (opts.replayDir !== undefined) {
      const gen = this.gen;
      this.replay = loadReplay({
        dir: opts.replayDir,
        restamp: opts.restamp ?? false,
        get esiBaseUrl() {
          return gen.esiBaseUrl;
        },
      });
      // Real ids from the replayed mails must resolve on the simulated ESI like pool ids do.
      for (const m of this.replay.mails) for (const p of [m.victim, ...m.attackers]) this.book.registerParty(p);
      source = this.replay;
    } else source = createGeneratedSource(this.gen);

    this.log = new FeedLog(source, {
      startSequence,
      badEvery: opts.badEvery ?? 0,
      maxEntries: opts.maxEntries ?? 200_000,
      cacheBytes: opts.cacheBytes ?? 64 * 1024 * 1024,
      ...(opts.historyMaxEntries !== undefined && { historyMaxEntries: opts.historyMaxEntries }),
    });
    this.log.addArchive(opts.historyDays ?? 0, opts.historyKillsPerDay ?? 50, Date.now());
    this.redisq = new RedisQ(this.log, opts.redisqShape ?? 'mixed');
    this.esi = new SimEsi(this.log, this.book, {
      errorLimit: opts.esiErrorLimit ?? 100,
      errorWindowMs: opts.esiErrorWindowMs ?? 60_000,
      killmailBucketTokens: opts.killmailBucketTokens ?? 1_000_000,
      killmailBucketWindowSeconds: opts.killmailBucketWindowSeconds ?? 900,
    });
    this.faults = new FaultInjector(seed, opts.faults ?? []);
    this.r2z2Ctx = {
      log: this.log,
      sequenceLag: opts.sequenceLag ?? 0,
      startSequence,
      historyRaw: opts.historyRaw ?? true,
      dayCache: new Map(),
    };
  }

  get published(): number {
    return this.publishedCount;
  }

  get lastSequence(): number {
    return this.log.lastSequence;
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<{ port: number; url: string }> {
    if (this.server) throw new Error('simulator already started');
    const server = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        this.handlerErrors++;
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `simulator handler error: ${(err as Error).message}` }));
      });
    });
    this.server = server;
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.baseUrl = `http://${urlHost}:${port}`;
    this.gen.esiBaseUrl = this.baseUrl;
    this.startTimer(this.opts.rate ?? 0);
    return { port, url: this.baseUrl };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.redisq.stop();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // keep-alive and dripping sockets would hold close() open
    });
  }

  publish(n: number): number {
    let done = 0;
    const now = Date.now();
    while (done < n && this.log.publish(now)) done++;
    this.publishedCount += done;
    if (done > 0) {
      this.redisq.notify();
      for (const l of this.listeners) l(this.log.lastSequence);
    }
    return done;
  }

  resumeAfter(seq: number): boolean {
    if (!this.log.resumeAfter(seq)) return false;
    this.r2z2Ctx.startSequence = seq + 1;
    return true;
  }

  republish(seq: number, labels?: readonly string[]): number | undefined {
    return this.log.republish(seq, Date.now(), labels)?.seq;
  }

  setFaults(f: readonly FaultSpec[]): void {
    this.faults.set(f);
  }

  onPublish(listener: (lastSequence: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): SimStats {
    return {
      published: this.publishedCount,
      republished: this.log.republished,
      lastSequence: this.log.lastSequence,
      bad: { ...this.log.badCounts },
      requests: { ...this.counts.requests },
      statuses: { ...this.counts.statuses },
      routeStatuses: structuredClone(this.counts.routeStatuses),
      faultsApplied: { ...this.faults.applied },
      handlerErrors: this.handlerErrors,
      redisqQueues: this.redisq.queueCount,
      redisqHeld: this.redisq.heldCount,
      replay: this.replay ? { size: this.replay.size, remaining: this.log.remaining, rejected: [...this.replay.rejected] } : null,
    };
  }

  /** Publishes one by one at `rate`; above 100/s in batches every 10 ms, catching up on drift. */
  private startTimer(rate: number): void {
    if (rate <= 0) return;
    const t0 = Date.now();
    let emitted = 0;
    const tick = (): void => {
      const due = Math.floor(((Date.now() - t0) * rate) / 1000) - emitted;
      if (due <= 0) return;
      emitted += due;
      if (this.publish(due) === 0 && this.log.remaining <= 0 && this.timer) clearInterval(this.timer); // replay done
    };
    this.timer = setInterval(tick, Math.max(10, Math.min(1000, 1000 / rate)));
    this.timer.unref();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://sim.invalid');
    const family = classify(u.pathname);
    const route = routeName(family, u.pathname);
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const plan = family === 'control' || family === 'unknown' ? { latencyMs: 0 } : this.faults.plan(family);
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    if (plan.fault?.kind === 'reset') {
      this.count(route, 'reset');
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    let r: SimResponse;
    if (body === undefined) r = json(413, { error: 'body too large' });
    else if (plan.fault?.kind === 'status') r = this.statusFault(family, route, plan.fault);
    else if (plan.fault?.kind === 'redirect')
      r = { status: plan.fault.status ?? 307, headers: { location: u.pathname + u.search }, body: '' };
    else r = await this.dispatch(family, req, u, body, ac.signal);
    this.count(route, String(r.status));
    this.opts.onRequest?.({ route, status: r.status, atMs: Date.now(), headers: r.headers });
    if (ac.signal.aborted) return; // the client left while the request was held
    await writeResponse(res, r, plan.fault);
  }

  private count(route: string, status: string): void {
    const c = this.counts;
    c.requests[route] = (c.requests[route] ?? 0) + 1;
    c.statuses[status] = (c.statuses[status] ?? 0) + 1;
    const per = (c.routeStatuses[route] ??= {});
    per[status] = (per[status] ?? 0) + 1;
  }

  private statusFault(family: Family, route: string, f: FaultSpec): SimResponse {
    const status = f.status ?? 503;
    const retryAfter = f.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
    const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
    // A 420 is ESI's spent error limit: it says so in the error-limit headers, as ESI does.
    if (status === 420) Object.assign(headers, { 'x-esi-error-limit-remain': '0', 'x-esi-error-limit-reset': String(retryAfter ?? 60) });
    const r = json(status, { error: `simulated ${status}` }, headers);
    if (family !== 'esi') return r;
    // Injected ESI errors spend the same budgets as real ones do.
    return route === 'esi.killmail' ? this.esi.finishKillmail(r, Date.now()) : this.esi.finishErrorLimited(r, Date.now());
  }

  private async dispatch(family: Family, req: IncomingMessage, u: URL, body: Buffer, signal: AbortSignal): Promise<SimResponse> {
    const path = u.pathname;
    switch (family) {
      case 'esi': {
        const inm = req.headers['if-none-match'];
        return this.esi.handle(req.method ?? 'GET', path, typeof inm === 'string' ? inm : undefined, body, Date.now());
      }
      case 'redisq':
        return path === '/listen.php' ? this.redisq.listen(u.searchParams, signal) : this.redisq.object(u.searchParams);
      case 'zkb':
        return this.zkbRoute(u);
      case 'r2z2':
        return this.r2z2Route(path);
      case 'control':
        return this.control(req.method ?? 'GET', u, body);
      case 'unknown':
        return notFound();
    }
  }

  private zkbRoute(u: URL): SimResponse {
    const m = /^\/api\/killID\/(\d+)\/$/.exec(u.pathname);
    if (m) return r2z2.zkbKill(this.r2z2Ctx, Number(m[1]), u.search !== '');
    const h = /^\/api\/history\/(\d{8})\.json$/.exec(u.pathname);
    return h ? r2z2.history(this.r2z2Ctx, h[1] ?? '') : notFound();
  }

  private r2z2Route(path: string): SimResponse {
    if (path === '/ephemeral/sequence.json') return r2z2.sequence(this.r2z2Ctx);
    if (path === '/history/totals.json') return r2z2.historyTotals(this.r2z2Ctx);
    const e = /^\/ephemeral\/(\d+)\.json$/.exec(path);
    if (e) return r2z2.ephemeralEntry(this.r2z2Ctx, Number(e[1]));
    const h = /^\/history\/(raw\/)?(\d{8})\.json$/.exec(path);
    if (h) return h[1] ? r2z2.historyRaw(this.r2z2Ctx, h[2] ?? '') : r2z2.history(this.r2z2Ctx, h[2] ?? '');
    return notFound();
  }

  private control(method: string, u: URL, body: Buffer): SimResponse {
    const key = `${method} ${u.pathname}`;
    if (key === 'GET /_sim/stats') return json(200, this.stats());
    if (key === 'GET /_sim/faults') return json(200, this.faults.list());
    if (key === 'POST /_sim/faults') return this.replaceFaults(body);
    if (key === 'POST /_sim/publish') {
      const n = Number(u.searchParams.get('n') ?? '1');
      if (!Number.isSafeInteger(n) || n < 0) return json(400, { error: 'n must be a non-negative integer' });
      return json(200, { published: this.publish(n), lastSequence: this.log.lastSequence });
    }
    if (key === 'POST /_sim/republish') {
      const seq = this.republish(Number(u.searchParams.get('seq')));
      return seq === undefined ? notFound('no such sequence') : json(200, { sequence: seq });
    }
    return notFound();
  }

  private replaceFaults(body: Buffer): SimResponse {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return json(400, { error: `invalid JSON: ${(err as Error).message}` });
    }
    const problems = validateFaults(value);
    if (problems.length > 0) return json(400, { error: 'invalid faults', problems });
    this.faults.set(value as FaultSpec[]);
    return json(200, this.faults.list());
  }
}
