/**
 * Descriptive statistics and confidence intervals for benchmark samples. Pure functions over plain arrays; no IO.
 *
 * Conventions: `stddev` is the sample standard deviation (n − 1). Quantiles interpolate linearly between order
 * statistics (Hyndman & Fan type 7, the default of R and NumPy). The CI of the mean uses Student's t; CIs of medians
 * and of ratios use the percentile bootstrap (Efron & Tibshirani 1993, ch. 13) with a seeded generator so a stored
 * run always renders the same interval.
 */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN
  const m = mean(xs)
  return Math.sqrt(xs.reduce((acc, x) => acc + (x - m) ** 2, 0) / (xs.length - 1))
}

/** Quantile q ∈ [0, 1] of `xs` (type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number))
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5)
}

/** Two-sided 97.5% quantiles of Student's t for df = 1..30 (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
]

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN
  if (df <= 30) return T975[Math.floor(df) - 1] as number
  // Beyond the table: the Cornish-Fisher expansion around z = 1.95996 is accurate to 1e-3 for df > 30.
  const z = 1.959964
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
}

export type Interval = [number, number]

/** 95% confidence interval of the mean: mean ± t(0.975, n−1) · s / √n. Undefined below two samples. */
export function meanCi95(xs: readonly number[]): Interval | undefined {
  if (xs.length < 2) return undefined
  const half = (tQuantile975(xs.length - 1) * stddev(xs)) / Math.sqrt(xs.length)
  const m = mean(xs)
  return [m - half, m + half]
}

/** A small, fast, seedable PRNG (mulberry32) so bootstrap intervals are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function resample<T>(xs: readonly T[], random: () => number): T[] {
  return xs.map(() => xs[Math.floor(random() * xs.length)] as T)
}

export interface BootstrapOptions {
  resamples?: number
  seed?: number
}

/** Percentile-bootstrap 95% CI of `statistic` over `xs`. */
/**
 * Fewest samples a bootstrap CI is given for: resampling two values yields only their min, max and mean, an interval
 * that says nothing about the spread (it reads ±0 when the two agree). Below this, no CI is stated.
 */
export const MIN_BOOTSTRAP_SAMPLES = 3

export function bootstrapCi95<T>(xs: readonly T[], statistic: (sample: T[]) => number, opts: BootstrapOptions = {}): Interval | undefined {
  if (xs.length < MIN_BOOTSTRAP_SAMPLES) return undefined
  const random = seededRandom(opts.seed ?? 1)
  const values = Array.from({ length: opts.resamples ?? 2000 }, () => statistic(resample(xs, random))).filter(Number.isFinite)
  return [quantile(values, 0.025), quantile(values, 0.975)]
}

/**
 * Percentile-bootstrap 95% CI of f(statistic(a), statistic(b)), resampling both groups independently: used for the
 * overhead of a datapath against the baseline, e.g. f = (base, x) => (base − x) / base on medians.
 */
export function bootstrapCi95Two<T = number>(
  a: readonly T[],
  b: readonly T[],
  combine: (statA: number, statB: number) => number,
  opts: BootstrapOptions & { statistic?: (xs: T[]) => number } = {},
): Interval | undefined {
  if (a.length < MIN_BOOTSTRAP_SAMPLES || b.length < MIN_BOOTSTRAP_SAMPLES) return undefined
  const random = seededRandom(opts.seed ?? 1)
  const statistic = opts.statistic ?? (median as unknown as (xs: T[]) => number)
  const values: number[] = []
  for (let i = 0; i < (opts.resamples ?? 2000); i++) {
    const v = combine(statistic(resample(a, random)), statistic(resample(b, random)))
    if (Number.isFinite(v)) values.push(v)
  }
  return [quantile(values, 0.025), quantile(values, 0.975)]
}

/** Coefficient of variation (stddev / mean); a quick noise gauge for warnings. */
export function cv(xs: readonly number[]): number {
  return stddev(xs) / Math.abs(mean(xs))
}

/**
 * Indices of outliers by the modified z-score (Iglewicz & Hoaglin 1993): |0.6745 · (x − median) / MAD| > 3.5.
 * 0.6745 = 1 / 1.4826, the factor that makes the MAD a consistent estimator of σ for normal data.
 */
export function outlierIndices(xs: readonly number[]): number[] {
  const m = median(xs)
  const mad = median(xs.map((x) => Math.abs(x - m)))
  if (mad === 0) return []
  return xs.flatMap((x, i) => (Math.abs((0.6745 * (x - m)) / mad) > 3.5 ? [i] : []))
}
