/**
 * Latency histograms with logarithmic buckets: bucket i holds values v (ns) with floor(ln v / ln 1.01) = i, so every
 * value is known to within 1%. Samples from different runs of a cell merge exactly (add the counts), which is how
 * cnibench pools percentiles across samples instead of averaging per-sample percentiles. tools/cnb-crr.c emits the
 * same buckets. Pure; no IO.
 */

export const BUCKET_BASE = 1.01
const LOG_BASE = Math.log(BUCKET_BASE)

/** Sparse: bucket index → count. */
export type LatencyHistogram = Map<number, number>

export function bucketOf(ns: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(ns, 1)) / LOG_BASE))
}

/** The value a bucket stands for: the geometric middle of its bounds (error ≤ 0.5%). */
export function bucketValue(bucket: number): number {
  return BUCKET_BASE ** (bucket + 0.5)
}

export function histogramOf(valuesNs: Iterable<number>): LatencyHistogram {
  const h: LatencyHistogram = new Map()
  for (const v of valuesNs) {
    const b = bucketOf(v)
    h.set(b, (h.get(b) ?? 0) + 1)
  }
  return h
}

export function mergeHistograms(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
  const merged: LatencyHistogram = new Map()
  for (const h of histograms) for (const [b, c] of h) merged.set(b, (merged.get(b) ?? 0) + c)
  return merged
}

export function histogramCount(h: LatencyHistogram): number {
  let n = 0
  for (const c of h.values()) n += c
  return n
}

/** Value (ns) at quantile q ∈ [0, 1]: the bucket holding the ⌈q·n⌉-th smallest observation (nearest rank). */
export function histogramQuantile(h: LatencyHistogram, q: number): number {
  const n = histogramCount(h)
  if (n === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil(q * n))
  let seen = 0
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b) as number
    if (seen >= rank) return bucketValue(b)
  }
  return Number.NaN
}

export function histogramMean(h: LatencyHistogram): number {
  let sum = 0
  for (const [b, c] of h) sum += bucketValue(b) * c
  return sum / histogramCount(h)
}

/** Compact JSON for storage: [[bucket, count], ...] sorted by bucket. */
export function serializeHistogram(h: LatencyHistogram): string {
  return JSON.stringify([...h.entries()].sort((a, b) => a[0] - b[0]))
}

export function parseHistogram(text: string): LatencyHistogram {
  return new Map(JSON.parse(text) as [number, number][])
}

/**
 * The cumulative distribution as [value µs, fraction ≤ value] points, one per occupied bucket, thinned to at most
 * `maxPoints` (the first and last kept) so a chart of a million round trips stays small.
 */
export function histogramCdf(h: LatencyHistogram, maxPoints = 200): [number, number][] {
  const n = histogramCount(h)
  if (n === 0) return []
  const points: [number, number][] = []
  let seen = 0
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b) as number
    points.push([bucketValue(b) / 1000, seen / n])
  }
  if (points.length <= maxPoints) return points
  const step = (points.length - 1) / (maxPoints - 1)
  return Array.from({ length: maxPoints }, (_, i) => points[Math.round(i * step)] as [number, number])
}
