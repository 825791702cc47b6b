/** A source of uniform random numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast, well-mixed 32-bit generator. The same seed gives the same sequence
 * everywhere, so a simulated network, an impaired path or a fuzz case can be replayed exactly.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
