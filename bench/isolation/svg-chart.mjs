// Horizontal bar charts as standalone SVG (no dependencies), optionally on a log scale, with an
// optional whisker per bar (e.g. median bar, p95/p99 whisker).

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 170;
const PLOT_WIDTH = 520;
const VALUE_WIDTH = 150;
const TOP = 46;
const BOTTOM = 40;

function escapeXml(text) {
  return String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

function formatValue(value) {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return String(+value.toPrecision(3));
}

/** Tick positions: powers of ten (log) or ~5 round steps (linear) covering [min, max]. */
function ticks(min, max, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
    return out;
  }
  const step = 10 ** Math.floor(Math.log10(max / 5 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10;
  const out = [];
  for (let t = 0; t <= max + nice / 2; t += nice) out.push(t);
  return out;
}

/**
 * Renders a horizontal bar chart.
 * @param {{ title: string, unit: string, log?: boolean, note?: string,
 *   rows: { label: string, value: number, whisker?: number }[] }} chart
 * @returns {string} SVG document
 */
export function barChartSvg({ title, unit, log = false, note, rows }) {
  const values = rows.flatMap((r) => [r.value, r.whisker ?? r.value]).filter((v) => v > 0 && Number.isFinite(v));
  const max = Math.max(...values, 1e-9);
  const min = Math.min(...values, max);
  const tickValues = ticks(log ? min : 0, max, log);
  const lo = log ? tickValues[0] : 0;
  const hi = tickValues[tickValues.length - 1];
  const x = (v) => LABEL_WIDTH + (log
    ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)
    : (v - lo) / (hi - lo || 1)) * PLOT_WIDTH;
  const height = TOP + rows.length * ROW_HEIGHT + BOTTOM;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${width / 2}" y="36" text-anchor="middle" fill="#555">${escapeXml(`${unit}${log ? ', log scale' : ''}${note ? ` — ${note}` : ''}`)}</text>`,
  ];
  for (const t of tickValues) {
    const tx = x(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${height - BOTTOM + 4}" stroke="#ddd"/>`);
    parts.push(`<text x="${tx}" y="${height - BOTTOM + 18}" text-anchor="middle" fill="#555">${formatValue(t)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const barEnd = x(row.value);
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end">${escapeXml(row.label)}</text>`);
    if (Number.isFinite(row.value) && row.value > 0) {
      parts.push(`<rect x="${LABEL_WIDTH}" y="${y + 5}" width="${Math.max(1, barEnd - LABEL_WIDTH).toFixed(1)}" height="${ROW_HEIGHT - 10}" fill="#4a7ab5"/>`);
      if (row.whisker !== undefined && row.whisker > row.value) {
        const wx = x(row.whisker).toFixed(1);
        parts.push(`<line x1="${barEnd.toFixed(1)}" y1="${y + 13}" x2="${wx}" y2="${y + 13}" stroke="#222"/>`);
        parts.push(`<line x1="${wx}" y1="${y + 8}" x2="${wx}" y2="${y + 18}" stroke="#222"/>`);
      }
      parts.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${y + 16}">${formatValue(row.value)}${row.whisker !== undefined ? ` (${formatValue(row.whisker)})` : ''}</text>`);
    } else {
      parts.push(`<text x="${LABEL_WIDTH + 6}" y="${y + 16}" fill="#999">not measured</text>`);
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
