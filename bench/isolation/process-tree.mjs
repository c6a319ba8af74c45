// Memory of everything a backend started: the sum over the process trees below its root pids.
import { readFileSync, readdirSync } from 'node:fs';

/** Parent pid of every live process, read from /proc/<pid>/stat. */
function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // the process exited while we looked
    }
  }
  return parents;
}

/**
 * All pids in the trees rooted at `roots` (roots included).
 * @param {number[]} roots
 * @returns {number[]}
 */
export function processTree(roots) {
  const parents = parentMap();
  const tree = new Set(roots.filter((pid) => parents.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/**
 * Sums Rss and Pss (from /proc/<pid>/smaps_rollup) over the process trees of `roots`.
 * PSS splits pages shared between processes (the node binary, libonnxruntime) fairly, so it is
 * the better "cost of one more instance"; RSS counts shared pages in full.
 * @param {number[]} roots
 * @returns {{ rssBytes: number, pssBytes: number, processes: number }}
 */
export function treeMemory(roots) {
  let rssBytes = 0;
  let pssBytes = 0;
  let processes = 0;
  for (const pid of processTree(roots)) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    } catch {
      continue;
    }
    processes++;
    rssBytes += 1024 * Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    pssBytes += 1024 * Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return { rssBytes, pssBytes, processes };
}
