// The fuzz input categories, one function per category drawing one input from a seeded Rng.
// May import ../build.js, ../worms.js and ../rng.js only; no I/O, no proxy code.
import type { Ctx, Draft } from '../build.js';
import { flowCategories } from './flow.js';
import { framingCategories } from './framing.js';
import { syntaxCategories } from './syntax.js';

export interface Category {
  name: string;
  /** Relative share of the inputs. */
  weight: number;
  make(c: Ctx): Draft;
}

export const CATEGORIES: readonly Category[] = [...framingCategories, ...syntaxCategories, ...flowCategories];
