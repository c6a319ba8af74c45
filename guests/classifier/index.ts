// The `classifier` guest: MNIST digits through wasi:nn (see world.wit). Canonical ABI by hand:
// every export returns a pointer to its result<_, nn-failure> (classify.ts has the layouts).
import { alloc, releaseCallMemory } from '../_lib/cabi';
import { RESULT_SIZE, fail, classifyTensor, loadBytes, openModel, runRaw, parsePnm, pnmMaxval } from './classify';

export { cabi_realloc } from '../_lib/cabi';

const SIDE: u32 = 28;
const PIXELS: usize = 28 * 28;
const DIGITS_DIMS = StaticArray.fromArray<u32>([1, 1, 28, 28]);

/** Raw 784 bytes or a 28×28 binary PGM → f32 [1,1,28,28] as pixel / maxval; 0 after a failure. */
function digitsInput(ret: usize, image: usize, length: usize): usize {
  let pixels = image;
  let maxval: f32 = 255;
  if (length != PIXELS) {
    const offset = parsePnm(image, length, 0x35 /* '5' */, SIDE);
    if (offset < 0) {
      fail(ret, 'decode', 'expected 784 bytes of 28x28 grayscale or a 28x28 binary PGM (P5), got ' + length.toString() + ' bytes');
      return 0;
    }
    pixels = image + <usize>offset;
    maxval = <f32>pnmMaxval;
  }
  const values = alloc(PIXELS * 4);
  for (let i: usize = 0; i < PIXELS; i++) store<f32>(values + i * 4, <f32>load<u8>(pixels + i) / maxval);
  return values;
}

function classifyDigits(model: string, image: usize, imageLength: usize): usize {
  const ret = alloc(RESULT_SIZE);
  const values = digitsInput(ret, image, imageLength);
  if (values == 0) return ret;
  return classifyTensor(ret, model, DIGITS_DIMS, values, PIXELS);
}

/** `init: func()`: opens the "digits" model's graph and context ahead of the first call. */
export function init(): void {
  openModel('digits');
}

/** `classify: func(image: list<u8>) -> result<classification, nn-failure>` */
export function classify(image: usize, imageLength: usize): usize {
  return classifyDigits('digits', image, imageLength);
}

/** `classify-with: func(model: string, image: list<u8>) -> result<classification, nn-failure>` */
export function classify_with(model: usize, modelLength: usize, image: usize, imageLength: usize): usize {
  return classifyDigits(String.UTF8.decodeUnsafe(model, modelLength), image, imageLength);
}

/** `load-bytes: func(model: list<u8>) -> result<u32, nn-failure>` */
export function load_bytes(model: usize, modelLength: usize): usize {
  return loadBytes(alloc(RESULT_SIZE), model, modelLength);
}

/** `run-raw: func(model: string, dims: list<u32>, ty: u8, data: list<u8>) -> result<list<u8>, nn-failure>` */
export function run_raw(model: usize, modelLength: usize, dims: usize, rank: usize, ty: u8, data: usize, dataLength: usize): usize {
  return runRaw(alloc(RESULT_SIZE), String.UTF8.decodeUnsafe(model, modelLength), dims, rank, ty, data, dataLength);
}

// Post-return: the host has copied the results out; free this call's memory.
export function cabi_post_classify(ret: usize): void { releaseCallMemory(); }
export function cabi_post_classify_with(ret: usize): void { releaseCallMemory(); }
export function cabi_post_load_bytes(ret: usize): void { releaseCallMemory(); }
export function cabi_post_run_raw(ret: usize): void { releaseCallMemory(); }
