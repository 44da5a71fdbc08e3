/**
 * The naming rules `promtool check metrics` applies to an exposition
 * (Prometheus client_golang testutil/promlint), restated for the tests:
 * help text; counters end in _total and nothing else does; _bucket only on
 * histograms, _count/_sum only on histograms and summaries, `le` and
 * `quantile` labels likewise; no metric type in the name; no ':'; snake_case
 * names and labels; base units; no abbreviated units; _timestamp_seconds only
 * on gauges. Returns one line per problem, promtool-style.
 */
const UNITS: Record<string, string> = {
  amperes: 'amperes', bytes: 'bytes', celsius: 'celsius', grams: 'grams', joules: 'joules', kelvin: 'kelvin', meters: 'meters', metres: 'metres', seconds: 'seconds', volts: 'volts',
  minutes: 'seconds', hours: 'seconds', days: 'seconds', weeks: 'seconds', kelvins: 'kelvin', fahrenheit: 'celsius', rankine: 'celsius', inches: 'meters', yards: 'meters', miles: 'meters', bits: 'bytes', calories: 'joules', pounds: 'grams', ounces: 'grams',
};
const PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kibi', 'mega', 'mibi', 'giga', 'gibi', 'tera', 'tebi', 'peta', 'pebi'];
const ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const TYPES = ['counter', 'gauge', 'summary', 'histogram', 'gaugehistogram'];

interface Family {
  name: string;
  type: string;
  help: string;
  labels: Set<string>;
}

function families(text: string): Family[] {
  const byName = new Map<string, Family>();
  const get = (name: string): Family => {
    let f = byName.get(name);
    if (!f) byName.set(name, (f = { name, type: 'untyped', help: '', labels: new Set() }));
    return f;
  };
  const all = (): Family[] => [...byName.values()];
  for (const line of text.split('\n')) {
    let m = /^# (HELP|TYPE) (\S+)(?: |$)(.*)$/.exec(line);
    if (m) {
      const f = get(m[2]!);
      if (m[1] === 'HELP') f.help = m[3]!;
      else f.type = m[3]!;
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!m) continue;
    // A sample belongs to the family whose name it is, or whose name plus _bucket/_count/_sum it is.
    const sample = m[1]!;
    const f = byName.get(sample) ?? all().find((x) => (x.type === 'histogram' || x.type === 'summary') && /^(.*)_(bucket|count|sum)$/.exec(sample)?.[1] === x.name) ?? get(sample);
    for (const l of (m[2] ?? '').matchAll(/(?<![a-zA-Z0-9_])([a-zA-Z_][a-zA-Z0-9_]*)="/g)) f.labels.add(l[1]!);
  }
  return all();
}

/** Problems in `text` (Prometheus text exposition), `name: message` each. */
export function promlint(text: string): string[] {
  const out: string[] = [];
  for (const f of families(text)) {
    const p = (msg: string): number => out.push(`${f.name}: ${msg}`);
    const n = f.name.toLowerCase();
    const parts = n.split('_');
    if (f.help === '') p('no help text');
    if (f.type === 'counter' && !n.endsWith('_total')) p('counter metrics should have "_total" suffix');
    if (f.type !== 'counter' && f.type !== 'untyped' && n.endsWith('_total')) p('non-counter metrics should not have "_total" suffix');
    if (f.type !== 'histogram' && n.endsWith('_bucket')) p('non-histogram metrics should not have "_bucket" suffix');
    if (f.type !== 'histogram' && f.type !== 'summary' && (n.endsWith('_count') || n.endsWith('_sum'))) p('non-histogram and non-summary metrics should not have "_count"/"_sum" suffix');
    if (f.type !== 'histogram' && f.labels.has('le')) p('non-histogram metrics should not have "le" label');
    if (f.type !== 'summary' && f.labels.has('quantile')) p('non-summary metrics should not have "quantile" label');
    if (f.type !== 'gauge' && f.type !== 'untyped' && n.endsWith('_timestamp_seconds')) p('non-gauge metrics should not have "_timestamp_seconds" suffix');
    for (const t of TYPES) if (n.includes(`_${t}_`) || n.endsWith(`_${t}`)) p(`metric name should not include type '${t}'`);
    if (f.name.includes(':')) p("metric names should not contain ':'");
    if (/[a-z][A-Z]/.test(f.name)) p("metric names should be written in 'snake_case' not 'camelCase'");
    for (const l of f.labels) if (/[a-z][A-Z]/.test(l)) p("label names should be written in 'snake_case' not 'camelCase'");
    for (const a of ABBREVIATIONS) if (n.includes(`_${a}_`) || n.endsWith(`_${a}`)) p('metric names should not contain abbreviated units');
    for (const s of parts) {
      const unit = UNITS[s] !== undefined ? s : undefined;
      const prefixed = unit ?? PREFIXES.map((x) => (s.startsWith(x) && UNITS[s.slice(x.length)] !== undefined ? s : undefined)).find(Boolean);
      if (prefixed === undefined) continue;
      const base = UNITS[prefixed] ?? UNITS[PREFIXES.reduce((r, x) => (prefixed.startsWith(x) ? prefixed.slice(x.length) : r), prefixed)]!;
      if (prefixed !== base) p(`use base unit "${base}" instead of "${prefixed}"`);
      break;
    }
  }
  return out;
}
