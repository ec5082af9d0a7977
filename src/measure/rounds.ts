/**
 * What to measure next: rounds of interleaved samples, decided from what the store holds, so a new run and a resumed
 * one take the same path. Each round visits, in a seeded shuffle, every cell that still needs a sample: drift (a noisy
 * neighbour, a cron job) then lands on every datapath alike instead of on whichever ran last. Pure: the runner feeds
 * it the stored run and the clock; unit tests feed it constructed series.
 */
import { assessPrecision } from '../analysis/precision.js'
import { seededRandom } from '../analysis/stats.js'
import { summarizeRun } from '../analysis/summary.js'
import type { CellRecord, RunRecord, SampleRecord } from '../store/db.js'
import { precisionTarget, type RunConfig } from './config.js'
import { baselineKeyOf, type CellSpec } from './tests.js'

/** Where a cell stands: samples kept (not failed, not excluded) and samples taken in all. */
export interface CellProgress {
  kept: number
  attempts: number
}

export interface RoundInputs {
  cells: readonly CellShapeWithKey[]
  progress: ReadonlyMap<string, CellProgress>
  baseline: string
  /** Samples every cell needs before anything else counts (--samples). */
  minSamples: number
  /** With a precision target: the cells whose headline overhead is not yet known well enough. */
  unmet?: ReadonlySet<string>
  /** Most samples a cell may keep while chasing the precision target. */
  maxSamples: number
}

type CellShapeWithKey = Omit<CellSpec, 'engine' | 'test' | 'placement'> & { test: string; placement: string }

/**
 * The cells the next round measures: every cell with fewer kept samples than the minimum (a sample a disturbance hit
 * is re-taken this way, up to as many re-takes as the minimum), every cell still short of the precision target (up to
 * maxSamples), and with each of those its baseline, so the two stay interleaved. Empty when the run is done. Pure.
 */
export function nextRound(inputs: RoundInputs): string[] {
  const { cells, progress, minSamples, maxSamples } = inputs
  const of = (key: string) => progress.get(key) ?? { kept: 0, attempts: 0 }
  const wanted = new Set<string>()
  for (const cell of cells) {
    const p = of(cell.key)
    const short = p.kept < minSamples && p.attempts < 2 * minSamples
    const imprecise = inputs.unmet?.has(cell.key) === true && p.kept < maxSamples && p.attempts < maxSamples + minSamples
    if (!short && !imprecise) continue
    wanted.add(cell.key)
    const base = baselineKeyOf(cell, inputs.baseline)
    if (base !== cell.key && cells.some((c) => c.key === base) && of(base).attempts < maxSamples + minSamples) wanted.add(base)
  }
  return cells.map((c) => c.key).filter((k) => wanted.has(k))
}

/**
 * The order of one round: a shuffle seeded by the run's seed and the round's number, so drift (a noisy neighbour, a
 * cron job) lands on every cell alike instead of on whichever ran last, and a resumed run repeats the order.
 */
export function shuffleRound(keys: readonly string[], seed: number, round: number): string[] {
  const random = seededRandom(seed * 1000 + round)
  const order = [...keys]
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j] as string, order[i] as string]
  }
  return order
}

export interface Unmet {
  key: string
  halfWidth: number
}

export type Decision =
  /** `attempts`: samples each cell has taken so far (the next one's iteration is one more). */
  | { kind: 'round'; number: number; keys: string[]; unmet: Unmet[] | undefined; attempts: ReadonlyMap<string, number> }
  | { kind: 'stop'; stoppedBy: 'complete' | 'time-budget'; unmet: Unmet[] }

export interface DecisionInputs {
  run: RunRecord
  cells: CellRecord[]
  samples: SampleRecord[]
  config: RunConfig
  /** ms since the epoch, and when the time budget runs out (undefined: none). */
  now: number
  deadline: number | undefined
  /** Seconds one sample of this cell is expected to take. */
  secondsPerSample(key: string): number
}

/**
 * The next round, or why measuring stops: every cell has its minimum and (with a precision target) every headline
 * overhead meets it or its cell reached the sample cap; or the time budget would run out during the next round. The
 * budget bounds only the rounds beyond the minimum of samples, which is always taken.
 */
export function decideNext(inputs: DecisionInputs): Decision {
  const { cells, samples, config } = inputs
  const summary = summarizeRun(inputs.run, cells, samples, config.baseline)
  const taken = new Map<number, number>()
  for (const s of samples) taken.set(s.cellId, (taken.get(s.cellId) ?? 0) + 1)
  const progress = new Map<string, CellProgress>()
  for (const [i, cell] of summary.cells.entries()) progress.set(cell.key, { kept: cell.samples, attempts: taken.get(cells[i]?.id ?? -1) ?? 0 })
  const target = precisionTarget(config)
  const unmet = target === undefined ? undefined : assessPrecision(summary, target).filter((p) => !p.met).map((p) => ({ key: p.key, halfWidth: p.halfWidth }))
  const keys = nextRound({ cells, progress, baseline: config.baseline, minSamples: config.samples, maxSamples: config.maxSamples, ...(unmet ? { unmet: new Set(unmet.map((u) => u.key)) } : {}) })
  if (keys.length === 0) return { kind: 'stop', stoppedBy: 'complete', unmet: unmet ?? [] }
  const minimumTaken = cells.every((c) => (progress.get(c.key)?.kept ?? 0) >= config.samples)
  const estimateMs = keys.reduce((sum, key) => sum + inputs.secondsPerSample(key), 0) * 1000
  if (minimumTaken && inputs.deadline !== undefined && inputs.now + estimateMs > inputs.deadline) return { kind: 'stop', stoppedBy: 'time-budget', unmet: unmet ?? [] }
  const number = 1 + Math.max(0, ...[...progress.values()].map((p) => p.attempts))
  const attempts = new Map([...progress].map(([key, p]) => [key, p.attempts]))
  return { kind: 'round', number, keys: shuffleRound(keys, config.seed, number), unmet, attempts }
}
