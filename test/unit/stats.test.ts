/** Statistics against values computed by hand (and the textbook tables they come from). */
import { describe, expect, it } from 'vitest'
import { bucketOf, bucketValue, histogramOf, histogramQuantile, mergeHistograms, parseHistogram, serializeHistogram } from '../../src/analysis/histogram.js'
import { bootstrapCi95, bootstrapCi95Two, mean, meanCi95, median, outlierIndices, quantile, stddev, tQuantile975 } from '../../src/analysis/stats.js'
import { overhead } from '../../src/measure/metrics.js'

describe('descriptive statistics', () => {
  const xs = [10, 12, 14, 16, 18]
  it('mean, median, sample standard deviation', () => {
    expect(mean(xs)).toBe(14)
    expect(median(xs)).toBe(14)
    expect(median([1, 2, 3, 10])).toBe(2.5)
    expect(stddev(xs)).toBeCloseTo(Math.sqrt(10), 12) // squared deviations 16+4+0+4+16 = 40, / (n − 1) = 10
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75) // type 7: 1 + 0.75 · (2 − 1)
  })
  it('95% CI of the mean with Student t (by hand: 14 ± 2.776 · √10/√5 = 14 ± 3.926)', () => {
    const [lo, hi] = meanCi95(xs) as [number, number]
    expect(lo).toBeCloseTo(14 - 2.776 * Math.sqrt(2), 3)
    expect(hi).toBeCloseTo(17.926, 3)
    expect(meanCi95([5])).toBeUndefined()
  })
  it('t quantiles: table values and the large-df expansion', () => {
    expect(tQuantile975(1)).toBe(12.706)
    expect(tQuantile975(4)).toBe(2.776)
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3)
    expect(tQuantile975(1e6)).toBeCloseTo(1.96, 3)
  })
  it('bootstrap CIs are reproducible and contain the statistic', () => {
    // Two samples give no interval worth stating (their resamples are min, max and mean): none is given.
    expect(bootstrapCi95([1, 1.2], median)).toBeUndefined()
    expect(bootstrapCi95Two([1, 1.2], [2, 2.1, 2.2], (b, x) => x / b)).toBeUndefined()
    const a = bootstrapCi95(xs, median, { seed: 7 })
    expect(a).toEqual(bootstrapCi95(xs, median, { seed: 7 }))
    const [lo, hi] = a as [number, number]
    expect(lo).toBeLessThanOrEqual(14)
    expect(hi).toBeGreaterThanOrEqual(14)
  })
  it('overhead signs: less throughput and more latency are both positive', () => {
    expect(overhead('throughput_bps', 10, 9)).toBeCloseTo(0.1, 12) // (base − x) / base
    expect(overhead('latency_p50_us', 10, 12)).toBeCloseTo(0.2, 12) // (x − base) / base
    const ci = bootstrapCi95Two([10, 10.1, 9.9, 10], [9, 9.1, 8.9, 9], (b, x) => overhead('throughput_bps', b, x), { seed: 3 }) as [number, number]
    expect(ci[0]).toBeGreaterThan(0.07)
    expect(ci[1]).toBeLessThan(0.13)
  })
  it('flags a sample far from the others (modified z-score)', () => {
    expect(outlierIndices([10, 10.2, 9.9, 10.1, 10, 25])).toEqual([5])
    expect(outlierIndices([10, 10, 10])).toEqual([])
  })
})

describe('latency histograms', () => {
  it('keep every value within 1%', () => {
    for (const ns of [900, 25_000, 1_234_567]) expect(Math.abs(bucketValue(bucketOf(ns)) - ns) / ns).toBeLessThan(0.01)
  })
  it('pool samples by adding counts: percentiles of the union, not averages of percentiles', () => {
    const fast = histogramOf(Array.from({ length: 90 }, () => 10_000))
    const slow = histogramOf(Array.from({ length: 10 }, () => 100_000))
    const pooled = mergeHistograms([fast, slow])
    expect(histogramQuantile(pooled, 0.5)).toBeCloseTo(10_000, -2)
    expect(histogramQuantile(pooled, 0.95)).toBeCloseTo(100_000, -3)
    // Averaging the two samples' P95s would claim 55 µs: a latency no request had.
    expect(parseHistogram(serializeHistogram(pooled))).toEqual(pooled)
  })
})
