/**
 * The seeded generator of fuzz inputs: input `index` of run `seed` is drawn from its own seed
 * (`inputSeed`), so one failing input regenerates alone (`generateOne(seed, index)`). Each input
 * carries its bytes (in timed pieces), its category, and the oracle's reading of it: the
 * top-level requests a correct HTTP/1.1 server would see, and whether it must refuse.
 */
import { Ctx, type After, type Piece } from './build.js';
import { CATEGORIES, type Category } from './categories/index.js';
import { expectationOf, type Expectation } from './oracle.js';
import { inputSeed, Rng } from './rng.js';

export interface FuzzInput {
  seed: number;
  index: number;
  category: string;
  pieces: Piece[];
  after: After;
  expect: Expectation;
}

/** Bound on the inputs of one run (memory: inputs are kept for the report). */
export const MAX_COUNT = 200_000;

const TOTAL_WEIGHT = CATEGORIES.reduce((sum, c) => sum + c.weight, 0);

function pickCategory(rng: Rng): Category {
  let x = rng.next() * TOTAL_WEIGHT;
  for (const c of CATEGORIES) {
    x -= c.weight;
    if (x < 0) return c;
  }
  return CATEGORIES[CATEGORIES.length - 1]!;
}

export function generateOne(seed: number, index: number): FuzzInput {
  const rng = new Rng(inputSeed(seed, index));
  const category = pickCategory(rng);
  const draft = category.make(new Ctx(index, rng));
  const bytes = Buffer.concat(draft.pieces.map((p) => p.bytes));
  return { seed, index, category: category.name, pieces: draft.pieces, after: draft.after, expect: expectationOf(bytes) };
}

export function generate(seed: number, count: number): FuzzInput[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new RangeError(`count must be 1..${MAX_COUNT}, not ${count}`);
  return Array.from({ length: count }, (_, i) => generateOne(seed, i));
}

export function bytesOf(input: FuzzInput): Buffer {
  return Buffer.concat(input.pieces.map((p) => p.bytes));
}

export const CATEGORY_NAMES: readonly string[] = CATEGORIES.map((c) => c.name);
