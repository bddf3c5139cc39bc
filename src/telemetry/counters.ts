// The values of the declared metrics in one thread. `inc/set/get` take a declared dotted name
// (src/telemetry/metrics); the first use binds it to its family and labels, later uses are one
// Map lookup plus an add, cheap enough for the hot path. An undeclared name throws.
import { LatencyHistogram } from './histogram.js';
import { METRICS, type MetricKey, type MetricName } from './metrics/index.js';
import type { Family, MetricRegistry } from './registry.js';

/** One labelled value of a counter or gauge family. */
export interface Cell {
  value: number;
}

export interface Series<T> {
  labels: readonly string[];
  item: T;
}

const SEP = '\u0001';

class DisabledHistogram extends LatencyHistogram {
  constructor() {
    super(2);
  }

  override recordUs(): void {}
}

export class Counters {
  private readonly byKey = new Map<string, Cell>();
  private readonly cells = new Map<string, Map<string, Series<Cell>>>();
  private readonly hists = new Map<string, Map<string, Series<LatencyHistogram>>>();

  /** `histograms: false` (config `metrics: false`) makes every histogram a no-op, to measure their cost. */
  constructor(
    readonly registry: MetricRegistry = METRICS,
    private readonly opts: { histograms?: boolean } = {},
  ) {}

  inc(name: MetricKey, by = 1): void {
    (this.byKey.get(name) ?? this.bind(name)).value += by;
  }

  set(name: MetricKey, value: number): void {
    (this.byKey.get(name) ?? this.bind(name)).value = value;
  }

  get(name: MetricKey): number {
    return (this.byKey.get(name) ?? this.bind(name)).value;
  }

  private bind(key: string): Cell {
    const { family, labelValues } = this.registry.resolve(key);
    const cell = this.seriesOf(this.cells, family, labelValues, () => ({ value: 0 }));
    this.byKey.set(key, cell);
    return cell;
  }

  /** A counter or gauge series addressed by family and label values (route × status, …). */
  cell(family: MetricName, labelValues: readonly string[] = []): Cell {
    const f = this.checked(family, labelValues, 'counter', 'gauge');
    return this.seriesOf(this.cells, f, labelValues, () => ({ value: 0 }));
  }

  /** The latency histogram of a histogram family's series (created on first use). */
  histogram(family: MetricName, labelValues: readonly string[] = []): LatencyHistogram {
    const f = this.checked(family, labelValues, 'histogram');
    return this.seriesOf(this.hists, f, labelValues, () =>
      this.opts.histograms === false ? new DisabledHistogram() : new LatencyHistogram(),
    );
  }

  private checked(name: string, labelValues: readonly string[], ...types: Family['type'][]): Family {
    const f = this.registry.family(name);
    if (!types.includes(f.type)) throw new Error(`metric ${name} is a ${f.type}, not a ${types.join(' or ')}`);
    if (labelValues.length !== f.labels.length)
      throw new Error(`metric ${name} takes labels (${f.labels.join(', ')}), got ${labelValues.length} values`);
    return f;
  }

  private seriesOf<T>(store: Map<string, Map<string, Series<T>>>, family: Family, labels: readonly string[], make: () => T): T {
    let byLabels = store.get(family.name);
    if (!byLabels) store.set(family.name, (byLabels = new Map<string, Series<T>>()));
    const id = labels.join(SEP);
    let s = byLabels.get(id);
    if (!s) byLabels.set(id, (s = { labels: [...labels], item: make() }));
    return s.item;
  }

  /** Every counter/gauge series of a family (empty when nothing recorded it yet). */
  seriesOfFamily(name: string): readonly Series<Cell>[] {
    return [...(this.cells.get(name)?.values() ?? [])];
  }

  histogramsOfFamily(name: string): readonly Series<LatencyHistogram>[] {
    return [...(this.hists.get(name)?.values() ?? [])];
  }

  /** The dotted names used so far and their values, in name order (JSON /status, worker stats). */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.byKey.entries()].map(([k, c]) => [k, c.value] as const).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  destroy(): void {
    for (const byLabels of this.hists.values()) for (const s of byLabels.values()) s.item.destroy();
    this.hists.clear();
  }
}
