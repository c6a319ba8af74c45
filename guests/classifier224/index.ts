// The `classifier224` guest: 224×224 RGB images through wasi:nn (see world.wit). It shares the
// wasi:nn plumbing, the canonical-ABI memory and the result layouts with guests/classifier.
import { alloc, releaseCallMemory } from '../_lib/cabi';
import { RESULT_SIZE, fail, classifyTensor, openModel, parsePnm, pnmMaxval } from '../classifier/classify';

export { cabi_realloc } from '../_lib/cabi';

const SIDE: u32 = 224;
const PLANE: usize = 224 * 224;
const BYTES: usize = PLANE * 3;
const DIMS = StaticArray.fromArray<u32>([1, 3, 224, 224]);
/** ImageNet normalisation, as models/image224.json specifies. */
const MEAN = StaticArray.fromArray<f32>([0.485, 0.456, 0.406]);
const STD = StaticArray.fromArray<f32>([0.229, 0.224, 0.225]);

/** `init: func()`: opens the "image224" model's graph and context ahead of the first call. */
export function init(): void {
  openModel('image224');
}

/** `classify: func(image: list<u8>) -> result<classification, nn-failure>` */
export function classify(image: usize, imageLength: usize): usize {
  const ret = alloc(RESULT_SIZE);
  let pixels = image;
  let maxval: f32 = 255;
  if (imageLength != BYTES) {
    const offset = parsePnm(image, imageLength, 0x36 /* '6' */, SIDE);
    if (offset < 0) {
      return fail(ret, 'decode', 'expected 150528 bytes of 224x224 RGB or a 224x224 binary PPM (P6), got ' + imageLength.toString() + ' bytes');
    }
    pixels = image + <usize>offset;
    maxval = <f32>pnmMaxval;
  }
  // Interleaved RGB (HWC) → planar NCHW.
  const values = alloc(BYTES * 4);
  for (let c: usize = 0; c < 3; c++) {
    const mean = MEAN[c];
    const std = STD[c];
    const plane = values + c * PLANE * 4;
    for (let i: usize = 0; i < PLANE; i++) {
      store<f32>(plane + i * 4, (<f32>load<u8>(pixels + i * 3 + c) / maxval - mean) / std);
    }
  }
  return classifyTensor(ret, 'image224', DIMS, values, BYTES);
}

export function cabi_post_classify(ret: usize): void { releaseCallMemory(); }
