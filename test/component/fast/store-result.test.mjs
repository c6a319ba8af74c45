// storeResult marks the pages of an import result it writes at a return pointer (a `reset` pool
// restores only marked pages): within one page inline, across pages or past 4 GiB via markDirty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { storeResult } from '../../../dist/component/fast/bindings.js';
import { DIRTY_PAGE_SHIFT } from '../../../dist/instrument/dirty-pages.js';

const PAGE = 2 ** DIRTY_PAGE_SHIFT;
const marked = (map) => [...map.keys()].filter((i) => map[i]);
function store(ptr, size, pages = 16) {
  const dirty = new Uint8Array(pages);
  let stored;
  storeResult({ dirty }, { size, store: (_cx, v, p) => { stored = [v, p]; } }, 'value', ptr);
  assert.equal(stored, ['value', ptr]);
  return marked(dirty);
}

test('a result within one page marks that page only', () => {
  assert.equal(store(0, 8), [0]);
  assert.equal(store(PAGE - 8, 8), [0]);
  assert.equal(store(3 * PAGE + 100, 56), [3]);
});

test('a result across a page boundary marks both pages', () => {
  assert.equal(store(PAGE - 4, 8), [0, 1]);
  assert.equal(store(5 * PAGE - 1, PAGE + 2), [4, 5, 6]);
});

test('a pointer as wasm passes it above 2 GiB (negative) marks its page; beyond the map nothing is written', () => {
  const pages = 2 ** (32 - DIRTY_PAGE_SHIFT);
  assert.equal(store(-PAGE, 8, pages), [pages - 1]);
  assert.equal(store(-4, 8, pages), [pages - 1]); // wraps past 4 GiB: the last page (markDirty clamps)
  assert.equal(store(20 * PAGE, 8, 16), []);
});

test('without a dirty map (not a reset pool) the result is just stored', () => {
  let stored;
  storeResult({ dirty: undefined }, { size: 8, store: (_cx, v, p) => { stored = [v, p]; } }, 1, 64);
  assert.equal(stored, [1, 64]);
});

test.run();
