/**
 * Small, real, deterministic profile pictures for the Graph simulator. They must decode as real
 * images (the product checks signatures and dimensions) and differ byte-wise between seeds (the
 * product detects changes by hashing the bytes). Speed matters more than looks: the benchmark
 * renders tens of thousands of them.
 *
 * A picture is a grid of flat 8×8 cells: a seed-coloured background with a gradient and a little
 * noise, and a few solid blocks. Flat cells are what make the JPEG writer below tiny and fast:
 * jpeg-js builds its encoder tables on every call (~17 ms per image here), which would make the
 * simulator, not the product, the bottleneck of the benchmark.
 */
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

const CELL = 8;
const BLOCKS = 4;
const GRADIENT = 48;
const NOISE = 24;

interface CellGrid {
  /** Cells per side. */
  cells: number;
  /** RGB triples, row-major. */
  rgb: Uint8Array;
}

function renderCells(seed: number, size: number): CellGrid {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`Image size must be a positive integer, got ${size}`);
  // 32 hash bytes drive background, blocks and noise; no PRNG state to carry around.
  const h = createHash('sha256').update(`sample-image:${seed}`).digest();
  const cells = Math.ceil(size / CELL);
  const rgb = new Uint8Array(cells * cells * 3);
  let noise = h.readUInt32LE(28) | 1;
  for (let cy = 0; cy < cells; cy++) {
    for (let cx = 0; cx < cells; cx++) {
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      const jitter = (noise >>> 0) % NOISE;
      const o = (cy * cells + cx) * 3;
      rgb[o] = clampByte(h[0] + (cy * GRADIENT) / cells + jitter);
      rgb[o + 1] = clampByte(h[1] + (cx * GRADIENT) / cells + jitter);
      rgb[o + 2] = clampByte(h[2] + jitter);
    }
  }
  for (let b = 0; b < BLOCKS; b++) {
    const p = 3 + b * 6;
    const x0 = Math.floor((h[p] / 256) * cells);
    const y0 = Math.floor((h[p + 1] / 256) * cells);
    const span = Math.max(1, Math.floor(((h[p + 2] % 128) / 256 + 0.1) * cells));
    for (let cy = y0; cy < Math.min(cells, y0 + span); cy++) {
      for (let cx = x0; cx < Math.min(cells, x0 + span); cx++) {
        const o = (cy * cells + cx) * 3;
        rgb[o] = h[p + 3]!;
        rgb[o + 1] = h[p + 4]!;
        rgb[o + 2] = h[p + 5]!;
      }
    }
  }
  return { cells, rgb };
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

/** A `size`×`size` PNG (8-bit RGB), identical bytes for identical arguments. */
export function makePng(seed: number, size: number): Buffer {
  const { cells, rgb } = renderCells(seed, size);
  const png = new PNG({ width: size, height: size });
  png.data = Buffer.alloc(size * size * 3);
  const rowBytes = size * 3;
  // Native fill/copy per cell row instead of per-pixel writes: several times faster, and Buffer
  // indexing is slow inside Jest's vm context.
  for (let cy = 0; cy < cells; cy++) {
    const rowStart = cy * CELL * rowBytes;
    for (let cx = 0; cx < cells; cx++) {
      const c = (cy * cells + cx) * 3;
      png.data.fill(
        rgb.subarray(c, c + 3),
        rowStart + cx * CELL * 3,
        rowStart + Math.min(size, (cx + 1) * CELL) * 3,
      );
    }
    for (let y = cy * CELL + 1; y < Math.min(size, (cy + 1) * CELL); y++)
      png.data.copy(png.data, y * rowBytes, rowStart, rowStart + rowBytes);
  }
  // RGB input and the Up filter: pngjs's defaults (every filter per row, RLE-only deflate) are 3-5x slower or larger.
  return PNG.sync.write(png, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    filterType: 2,
    deflateStrategy: 0,
    deflateLevel: 6,
  });
}

/**
 * A `size`×`size` baseline JFIF JPEG (YCbCr 4:4:4), identical bytes for identical arguments.
 * Each 8×8 block is flat, so it has only a DC coefficient: with a DC quantiser of 8 the
 * quantised DC is exactly the level-shifted sample, the image decodes losslessly (up to the
 * RGB↔YCbCr rounding), and every AC run is a single end-of-block code.
 */
export function makeJpeg(seed: number, size: number): Buffer {
  const { cells, rgb } = renderCells(seed, size);
  const out = new JpegBitWriter();
  const predictors = [0, 0, 0];
  for (let c = 0; c < cells * cells; c++) {
    const [r, g, b] = [rgb[c * 3], rgb[c * 3 + 1], rgb[c * 3 + 2]];
    const ycc = [
      0.299 * r + 0.587 * g + 0.114 * b,
      -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
      0.5 * r - 0.418688 * g - 0.081312 * b + 128,
    ];
    for (let k = 0; k < 3; k++) {
      const dc = clampByte(ycc[k]) - 128;
      const diff = dc - predictors[k];
      predictors[k] = dc;
      const category = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
      out.write(category, DC_CODE_LENGTH);
      if (category > 0) out.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
      out.write(0, 1); // end of block: the only AC symbol, coded as a single 0 bit
    }
  }
  return Buffer.concat([jpegHeader(size), out.finish(), Buffer.from([0xff, 0xd9])]);
}

/** DC categories 0..11 all get 4-bit codes: a valid canonical Huffman table that is trivial to emit. */
const DC_CODE_LENGTH = 4;
const DC_CATEGORIES = 12;

function jpegHeader(size: number): Buffer {
  const segment = (marker: number, body: number[]): number[] => [
    0xff,
    marker,
    (body.length + 2) >> 8,
    (body.length + 2) & 0xff,
    ...body,
  ];
  const dcCounts = Array.from({ length: 16 }, (_, i) => (i === DC_CODE_LENGTH - 1 ? DC_CATEGORIES : 0));
  const acCounts = Array.from({ length: 16 }, (_, i) => (i === 0 ? 1 : 0));
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(8)]),
    ...segment(0xc0, [
      8,
      size >> 8,
      size & 0xff,
      size >> 8,
      size & 0xff,
      3,
      1,
      0x11,
      0,
      2,
      0x11,
      0,
      3,
      0x11,
      0,
    ]),
    ...segment(0xc4, [
      0x00,
      ...dcCounts,
      ...Array.from({ length: DC_CATEGORIES }, (_, i) => i),
      0x10,
      ...acCounts,
      0x00,
    ]),
    ...segment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]),
  ]);
}

/** MSB-first bit packing with JPEG byte stuffing (every 0xFF data byte is followed by 0x00). */
class JpegBitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.current = (this.current << 1) | ((value >> i) & 1);
      if (++this.used === 8) this.flushByte();
    }
  }

  /** Pads the last byte with 1 bits, as the standard requires. */
  finish(): Buffer {
    if (this.used > 0) this.write(0xff, 8 - this.used);
    return Buffer.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.current);
    if (this.current === 0xff) this.bytes.push(0x00);
    this.current = 0;
    this.used = 0;
  }
}
