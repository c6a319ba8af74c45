// Only the instantiate suite's load times (bench/lib/load-metrics.mjs), optionally against another
// build side by side; faster to repeat than the whole suite:
//   SFIRT_BASELINE_REF=<commit> node bench/diagnostics/load-times.mjs [--full]
import { loadMetrics } from '../lib/load-metrics.mjs';

const metrics = await loadMetrics({ quick: !process.argv.includes('--full'), log: (m) => console.error(m) });
for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(46)} ${+v.toPrecision(3)}`);
