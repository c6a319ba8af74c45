// A strict parser for the Prometheus text exposition format 0.0.4, for the tests. Written here
// rather than taken from npm: the one small package (parse-prometheus-text-format) is lenient and
// unmaintained, and the checks that matter (family grouping, TYPE before samples, summaries with
// _sum and _count per series, no duplicate series, escapes) are what it does not enforce.
// Throws an Error naming the line for anything the format does not allow.

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses `text`; returns `Map<family, { type, help, samples: [{ name, labels, value }] }>`. */
export function parsePrometheus(text) {
  if (text.length && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map();
  const closed = new Set(); // families whose samples have ended (a later sample would split them)
  const series = new Set();
  let current;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m;
      if (!METRIC.test(name)) throw new Error(`bad metric name in ${where}`);
      const f = family(name, where);
      if (kind === 'TYPE') {
        if (f.type !== undefined) throw new Error(`second TYPE for ${name} in ${where}`);
        if (f.samples.length) throw new Error(`TYPE after samples of ${name} in ${where}`);
        if (!TYPES.has(rest)) throw new Error(`unknown type in ${where}`);
        f.type = rest;
      } else {
        if (f.help !== undefined) throw new Error(`second HELP for ${name} in ${where}`);
        checkEscapes(rest, /\\[\\n]/g, where);
        f.help = rest;
      }
      return;
    }
    const { name, labels, value } = sample(line, where);
    const f = family(familyOf(name), where);
    if (f.type === 'summary' && name === f.name && !('quantile' in labels)) throw new Error(`summary sample without quantile in ${where}`);
    if (f.type !== 'summary' && f.type !== 'histogram' && name !== f.name) throw new Error(`sample ${name} outside its family in ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`duplicate series in ${where}`);
    series.add(key);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`negative counter in ${where}`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'summary') checkSummary(f);
  return families;

  function family(name, where) {
    if (current && current.name !== name) closed.add(current.name);
    if (closed.has(name)) throw new Error(`family ${name} is split in ${where}`);
    let f = families.get(name);
    if (!f) { f = { name, type: undefined, help: undefined, samples: [] }; families.set(name, f); }
    current = f;
    return f;
  }
  function familyOf(name) {
    // A summary's _sum/_count belong to the family declared before them.
    for (const suffix of ['_sum', '_count', '_bucket']) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        const f = families.get(base);
        if (f && (f.type === 'summary' || f.type === 'histogram')) return base;
      }
    }
    return name;
  }
}

function sample(line, where) {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`malformed sample in ${where}`);
  const [, name, rawLabels, rawValue] = m;
  const labels = {};
  if (rawLabels) {
    let rest = rawLabels.slice(1, -1);
    while (rest.length) {
      const lm = /^([^=,"]+)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
      if (!lm) throw new Error(`malformed labels in ${where}`);
      const [all, label, value, comma] = lm;
      if (!LABEL.test(label)) throw new Error(`bad label name ${label} in ${where}`);
      if (label in labels) throw new Error(`repeated label ${label} in ${where}`);
      checkEscapes(value, /\\[\\"n]/g, where);
      labels[label] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      rest = rest.slice(all.length);
      if (!comma && rest.length) throw new Error(`missing comma in ${where}`);
    }
  }
  const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : rawValue === 'NaN' ? NaN : Number(rawValue);
  if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`bad value in ${where}`);
  return { name, labels, value };
}

/** Every backslash must start one of the allowed escapes. */
function checkEscapes(text, allowed, where) {
  if (text.replace(allowed, '').includes('\\')) throw new Error(`bad escape in ${where}`);
}

/** Each series of a summary (labels without `quantile`) has quantiles, one `_sum` and one `_count`. */
function checkSummary(f) {
  const byLabels = new Map();
  for (const s of f.samples) {
    const { quantile, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = byLabels.get(key) ?? { quantiles: 0, sum: 0, count: 0 };
    if (s.name === f.name) {
      const q = Number(quantile);
      if (!(q >= 0 && q <= 1)) throw new Error(`${f.name}: quantile ${quantile} outside [0, 1]`);
      entry.quantiles++;
    } else if (s.name === `${f.name}_sum`) entry.sum++;
    else if (s.name === `${f.name}_count`) entry.count++;
    byLabels.set(key, entry);
  }
  for (const [key, e] of byLabels) {
    if (e.sum !== 1 || e.count !== 1) throw new Error(`summary ${f.name}${key} needs one _sum and one _count (has ${e.sum}, ${e.count})`);
  }
}
