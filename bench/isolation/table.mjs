// The results as a Markdown table in the style of an isolation-technology comparison: one row
// per backend, one column per metric, then skipped backends and the measurement notes.

function fmt(value, digits = 3) {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(+value.toPrecision(digits));
}

/**
 * @param {{ measured: object[], skipped: { name: string, reason: string }[], notes: string[], env: object }} run
 * @returns {string} Markdown
 */
export function renderTable({ measured, skipped, notes, env }) {
  const floor = measured.find((r) => r.name === 'native');
  const lines = [
    `## Isolation comparison: MNIST digits classifier (${env.quick ? 'quick' : 'full'} run)`,
    '',
    `${env.cpus} × ${env.cpu}, ${env.memGiB} GiB, ${env.platform}, Node ${env.node}, ${env.date}`,
    '',
    '| Backend | Isolation | Cold start ms, median (p95) | Warm µs, p50 (p99) | vs native p50 | Memory MiB, RSS / PSS | Req/s c1 / c2 | Agrees with native |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of measured) {
    const ratio = floor && r !== floor ? `${fmt(r.warm.median / floor.warm.median, 2)}×` : r === floor ? '1×' : '—';
    const memory = r.memory ? `${fmt(r.memory.rssBytes / 2 ** 20)} / ${fmt(r.memory.pssBytes / 2 ** 20)}` : '—';
    const agree = r.agreement ? `${r.agreement.agreeing}/${r.agreement.compared}` : r === floor ? 'reference' : '—';
    lines.push(`| ${r.name} | ${r.describe} | ${fmt(r.cold.median)} (${fmt(r.cold.p95)}) | ${fmt(r.warm.median)} (${fmt(r.warm.p99)}) | ${ratio} | ${memory} | ${fmt(r.rpsC1)} / ${fmt(r.rpsC2)} | ${agree} |`);
  }
  if (skipped.length) {
    lines.push('', 'Not measured:', '');
    for (const s of skipped) lines.push(`- **${s.name}**: ${s.reason}`);
  }
  lines.push('', 'Notes:', '');
  for (const note of notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}
