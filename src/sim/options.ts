// The simulator's public surface: options, stats and the handle app.ts and tests hold.
import type { BadKind } from './esi-types.js';
import type { FaultKind, FaultSpec } from './faults.js';
import type { RedisqShape } from './redisq.js';

export interface SimOptions {
  host?: string;
  port?: number;
  seed?: number;
  /** Kills published per second by the built-in timer; 0 = only manual publish(). */
  rate?: number;
  startSequence?: number;
  startKillmailId?: number;
  hugeEvery?: number;
  /** Every Nth new entry is bad (malformed JSON, missing killmail_time, wrong type, oversized). */
  badEvery?: number;
  /** Kill time = publish time minus this (default 0: kills are fresh). */
  killAgeMs?: number;
  replayDir?: string;
  restamp?: boolean;
  redisqShape?: RedisqShape;
  /** `sequence.json` trails the newest entry by this much (default 0). */
  sequenceLag?: number;
  esiErrorLimit?: number;
  esiErrorWindowMs?: number;
  killmailBucketTokens?: number;
  killmailBucketWindowSeconds?: number;
  /** Ids that /universe/names/ (and entity routes) refuse, like deleted characters. */
  unresolvableIds?: readonly number[];
  /** Days of archived kills before the start, served by /history and ESI (generator only). */
  historyDays?: number;
  historyKillsPerDay?: number;
  /** Live entries kept; older sequence numbers 404 like expired ephemeral files. */
  maxEntries?: number;
  /** Bytes of built bodies kept in memory (they are rebuilt identically when evicted). */
  cacheBytes?: number;
  faults?: readonly FaultSpec[];
}

export interface SimStats {
  published: number;
  republished: number;
  lastSequence: number;
  bad: Record<BadKind, number>;
  requests: Record<string, number>;
  statuses: Record<string, number>;
  routeStatuses: Record<string, Record<string, number>>;
  faultsApplied: Record<FaultKind, number>;
  handlerErrors: number;
  redisqQueues: number;
  redisqHeld: number;
  replay: { size: number; remaining: number; rejected: { file: string; reason: string }[] } | null;
}

export interface Simulator {
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
  /** Publishes up to n entries now (fewer when a replay runs out); returns how many. */
  publish(n: number): number;
  /** Before the first publish: number the feed from `seq + 1` (false when entries exist). */
  resumeAfter(seq: number): boolean;
  /** Re-publishes entry `seq` as a new entry with `sequence_updated`; returns the new sequence. */
  republish(seq: number, labels?: readonly string[]): number | undefined;
  stats(): SimStats;
  setFaults(f: readonly FaultSpec[]): void;
  /** Called after each publish batch with the newest sequence; returns an unsubscribe function. */
  onPublish(listener: (lastSequence: number) => void): () => void;
  readonly published: number;
  readonly lastSequence: number;
  /** Base URL once started ('' before). */
  readonly url: string;
}
