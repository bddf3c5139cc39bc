// The metric declarations' shape and the checks that make one registry out of every stage's
// declarations. A family is declared once (Prometheus name, type, unit, help, labels); `keys`
// lists the dotted names the code increments (`counters.inc('ws.closed.normal')`), where a
// `{label}` segment captures that label's value. Exposition, /status and the docs all read the
// built registry, so a name cannot exist in one and not the others.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface FamilyDecl {
  readonly type: MetricType;
  readonly help: string;
  /** Base unit: seconds, bytes, or a plain count (kills, requests, …). */
  readonly unit: string;
  readonly labels?: readonly string[];
  /** Dotted names recorded by the code; `{label}` captures a label value. */
  readonly keys?: readonly string[];
}

export type StageDecls = Readonly<Record<string, FamilyDecl>>;

type Decl<T extends MetricType, K extends readonly string[]> = Omit<FamilyDecl, 'type' | 'keys'> & { readonly type: T; readonly keys: K };

// `const` type parameters keep the keys as literals, so MetricKey is the union of the declared names.
export function counter<const K extends readonly string[] = []>(
  help: string,
  unit: string,
  keys?: K,
  labels: readonly string[] = [],
): Decl<'counter', K> {
  return { type: 'counter', help, unit, keys: keys ?? ([] as unknown as K), labels };
}

export function gauge<const K extends readonly string[] = []>(
  help: string,
  unit: string,
  keys?: K,
  labels: readonly string[] = [],
): Decl<'gauge', K> {
  return { type: 'gauge', help, unit, keys: keys ?? ([] as unknown as K), labels };
}

export function histogram(help: string, labels: readonly string[] = []): Decl<'histogram', []> {
  return { type: 'histogram', help, unit: 'seconds', keys: [], labels };
}

/** A `{label}` in a declared key accepts any text at type level. */
export type KeyPattern<K extends string> = K extends `${infer A}{${string}}${infer B}` ? `${A}${string}${KeyPattern<B>}` : K;

type KeysOf<D> = D extends { readonly keys: infer K extends readonly string[] } ? K[number] : never;
/** Every dotted name a set of stage declarations accepts. */
export type DeclaredKey<S extends Record<string, StageDecls>> = {
  [St in keyof S]: { [F in keyof S[St]]: KeyPattern<KeysOf<S[St][F]>> }[keyof S[St]];
}[keyof S];
export type DeclaredFamily<S extends Record<string, StageDecls>> = { [St in keyof S]: keyof S[St] & string }[keyof S];

export interface Family extends FamilyDecl {
  readonly name: string;
  readonly stage: string;
  readonly labels: readonly string[];
}

interface Capture {
  prefix: string;
  label: number;
}

interface KeyRule {
  family: Family;
  /** Literal segments, or a literal prefix plus the index of the label the rest captures. */
  segments: (string | Capture)[];
}

/** What a dotted name resolves to: its family and label values (in the family's label order). */
export interface Resolved {
  family: Family;
  labelValues: string[];
}

const NAME = /^[a-z_][a-z0-9_]*$/;

export class MetricRegistry {
  readonly families: ReadonlyMap<string, Family>;
  private readonly literal = new Map<string, Resolved>();
  private readonly patterns: KeyRule[] = [];

  constructor(stages: Readonly<Record<string, StageDecls>>) {
    const families = new Map<string, Family>();
    for (const [stage, decls] of Object.entries(stages)) {
      for (const [name, decl] of Object.entries(decls)) {
        const prior = families.get(name);
        if (prior) throw new Error(`metric ${name} declared twice (stages ${prior.stage} and ${stage})`);
        checkFamily(name, decl);
        const family: Family = { ...decl, name, stage, labels: decl.labels ?? [] };
        families.set(name, family);
        for (const key of decl.keys ?? []) this.addKey(family, key);
      }
    }
    this.families = families;
    // The most specific pattern wins: `enrich.cache.size.{ns}` before `enrich.cache.{result}.{ns}`.
    this.patterns.sort((a, b) => literalWeight(b) - literalWeight(a));
  }

  private addKey(family: Family, key: string): void {
    if (this.literal.has(key) || this.patterns.some((p) => keyText(p) === key)) throw new Error(`metric key ${key} declared twice`);
    const parts = key.split('.');
    const captured = new Set<string>();
    const segments = parts.map((s): string | Capture => {
      const m = /^([^{}]*)\{(\w+)\}$/.exec(s);
      if (!m) return s;
      const label = family.labels.indexOf(m[2] as string);
      if (label < 0) throw new Error(`metric key ${key}: {${m[2]}} is not a label of ${family.name}`);
      captured.add(m[2] as string);
      return { prefix: m[1] as string, label };
    });
    if (captured.size !== family.labels.length)
      throw new Error(`metric key ${key} must capture every label of ${family.name} (${family.labels.join(', ')})`);
    if (captured.size === 0) this.literal.set(key, { family, labelValues: [] });
    else this.patterns.push({ family, segments });
  }

  /** The family and labels of a dotted name; throws for a name nothing declares. */
  resolve(key: string): Resolved {
    const lit = this.literal.get(key);
    if (lit) return lit;
    const parts = key.split('.');
    for (const rule of this.patterns) {
      const values = matchRule(rule, parts);
      if (values) return { family: rule.family, labelValues: values };
    }
    throw new Error(`metric key "${key}" is not declared in src/telemetry/metrics`);
  }

  family(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric family "${name}" is not declared in src/telemetry/metrics`);
    return f;
  }
}

function literalWeight(rule: KeyRule): number {
  return rule.segments.reduce((n, s) => n + (typeof s === 'string' ? 1000 + s.length : s.prefix.length), 0);
}

function keyText(rule: KeyRule): string {
  return rule.segments.map((s) => (typeof s === 'string' ? s : `${s.prefix}{${rule.family.labels[s.label]}}`)).join('.');
}

/** A pattern's last capture takes the rest of the name (values may contain dots); others one segment. */
function matchRule(rule: KeyRule, parts: string[]): string[] | undefined {
  const { segments } = rule;
  const last = segments.length - 1;
  if (parts.length < segments.length || (parts.length > segments.length && typeof segments[last] === 'string')) return undefined;
  const values: string[] = new Array<string>(rule.family.labels.length);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as string | Capture;
    const part = parts[i] as string;
    if (typeof s === 'string') {
      if (part !== s) return undefined;
      continue;
    }
    const text = i === last ? parts.slice(i).join('.') : part;
    if (!text.startsWith(s.prefix) || text.length === s.prefix.length) return undefined;
    values[s.label] = text.slice(s.prefix.length);
  }
  return values;
}

function checkFamily(name: string, decl: FamilyDecl): void {
  if (!NAME.test(name) || !name.startsWith('wkills_')) throw new Error(`metric ${name}: names are snake_case and start with wkills_`);
  if (decl.type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  if (decl.type !== 'counter' && name.endsWith('_total')) throw new Error(`${decl.type} ${name} must not end in _total`);
  if (decl.type === 'histogram' && !name.endsWith('_seconds')) throw new Error(`histogram ${name} must be in seconds`);
  if (decl.unit === 'bytes' && !/_bytes(_total)?$/.test(name)) throw new Error(`metric ${name} in bytes must end in _bytes`);
  if (decl.unit === 'seconds' && !/_seconds(_total)?$/.test(name)) throw new Error(`metric ${name} in seconds must end in _seconds`);
  if (decl.help.trim() === '') throw new Error(`metric ${name} needs help text`);
  for (const l of decl.labels ?? []) if (!NAME.test(l) || l === 'le' || l === 'quantile') throw new Error(`metric ${name}: bad label ${l}`);
}
