// Pure pieces of the isolation benchmark: quantiles, process-tree memory, the SVG chart and the
// Markdown table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { quantile, summarize } from '../../bench/isolation/stats.mjs';
import { processTree, treeMemory } from '../../bench/isolation/process-tree.mjs';
import { barChartSvg } from '../../bench/isolation/svg-chart.mjs';
import { renderTable } from '../../bench/isolation/table.mjs';

test('quantile uses nearest rank', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted input
  assert.is(quantile(samples, 0.5), 50);
  assert.is(quantile(samples, 0.95), 95);
  assert.is(quantile(samples, 0.99), 99);
  assert.is(quantile([7], 0.99), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.equal(summarize([3, 1, 2]), { n: 3, min: 1, median: 2, p95: 3, p99: 3, max: 3 });
});

test('treeMemory sums the whole tree below a root', async () => {
  // sh → sleep: the root alone is smaller than root + child.
  const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
  try {
    let tree = [];
    for (let i = 0; i < 100 && tree.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree([child.pid]);
    }
    assert.is(tree.length, 2, 'sh and its sleep child');
    assert.ok(tree.includes(child.pid));
    const all = treeMemory([child.pid]);
    assert.is(all.processes, 2);
    assert.ok(all.rssBytes > 0 && all.pssBytes > 0 && all.pssBytes <= all.rssBytes);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(processTree([2 ** 22 + 12345]), [], 'a pid that does not exist has no tree');
});

test('barChartSvg draws one bar per row, log ticks in powers of ten', () => {
  const svg = barChartSvg({
    title: 'Cold <start>', unit: 'ms', log: true,
    rows: [{ label: 'a', value: 2, whisker: 3 }, { label: 'b', value: 2500 }, { label: 'c', value: NaN }],
  });
  assert.ok(svg.startsWith('<svg '));
  assert.ok(svg.includes('Cold &lt;start&gt;'));
  assert.is((svg.match(/<rect x=/g) ?? []).length, 2, 'two bars, the NaN row is "not measured"');
  assert.ok(svg.includes('not measured'));
  for (const tick of ['>1<', '>10<', '>100<', '>1,000<', '>10,000<']) assert.ok(svg.includes(tick), tick);
  // On a log scale, 2500 sits ~3.4 decades right of 1: bar widths differ by that ratio.
  const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(widths[1] / widths[0] > 5, `log bars ${widths}`);
});

test('renderTable: ratios against native, skipped backends with reasons', () => {
  const row = (name, warm) => ({
    name, describe: `${name} isolation`, cold: { median: 10, p95: 12 }, warm: { median: warm, p99: warm * 2 },
    memory: { rssBytes: 2 ** 20 * 80, pssBytes: 2 ** 20 * 40 }, rpsC1: 1000, rpsC2: 1900,
    agreement: name === 'native' ? null : { agreeing: 200, compared: 200 },
  });
  const md = renderTable({
    measured: [row('native', 50), row('process', 125)],
    skipped: [{ name: 'vm', reason: 'no qemu' }],
    notes: ['a note'],
    env: { quick: true, cpus: 2, cpu: 'cpu', memGiB: 4, platform: 'linux', node: 'v20', date: 'now' },
  });
  assert.match(md, /\| process \| process isolation \| 10 \(12\) \| 125 \(250\) \| 2\.5× \| 80 \/ 40 \| 1,000 \/ 1,900 \| 200\/200 \|/);
  assert.match(md, /\| native .*\| 1× \|.*\| reference \|/);
  assert.match(md, /- \*\*vm\*\*: no qemu/);
});

test.run();
