/**
 * From a RunConfig and what this host can do to the list of cells to measure and the order to measure them in.
 * Pure: availability and engine choice come in as functions, so planning is unit-tested without a kernel.
 *
 * Order: every sample round visits every cell once, in an order shuffled per round with the run's seed. Drift (a
 * noisy neighbour, thermal throttling, a cron job) then lands on all datapaths alike instead of on whichever ran last.
 */
import { CnibenchError } from '../errors.js'
import type { Engine } from '../engines/engine.js'
import { datapathNames, getDatapath } from '../lab/datapaths/index.js'
import { seededRandom } from '../analysis/stats.js'
import type { RunConfig } from './config.js'
import { cellKey, isStream, type CellSpec, type TestKind } from './tests.js'

export interface PlanInputs {
  /** Why a datapath cannot run here, or undefined when it can. */
  unavailableReason(datapath: string): string | undefined
  engineFor(test: CellSpec['test']): Engine
}

export interface RunPlan {
  datapaths: string[]
  cells: CellSpec[]
  skipped: { datapath: string; reason: string }[]
  notes: string[]
}

export function planRun(config: RunConfig, inputs: PlanInputs): RunPlan {
  const requested = config.datapaths === 'all' ? [...datapathNames] : dedupe(config.datapaths)
  for (const name of [...requested, config.baseline]) getDatapath(name) // unknown names fail here, with the list
  const skipped: RunPlan['skipped'] = []
  const notes: string[] = []
  const datapaths: string[] = []
  for (const name of requested) {
    const reason = inputs.unavailableReason(name)
    if (!reason) datapaths.push(name)
    else if (config.datapaths === 'all') skipped.push({ datapath: name, reason })
    else throw new CnibenchError('E_UNSUPPORTED', `datapath ${name} cannot run here: ${reason}`, { hint: 'see `cnibench doctor`, or leave it out of --datapaths' })
  }
  if (!datapaths.includes(config.baseline)) {
    const reason = inputs.unavailableReason(config.baseline)
    if (reason) throw new CnibenchError('E_UNSUPPORTED', `baseline ${config.baseline} cannot run here: ${reason}`, { hint: 'choose another --baseline' })
    datapaths.unshift(config.baseline)
    notes.push(`added the baseline ${config.baseline} so overheads can be computed`)
  }
  const cells: CellSpec[] = []
  for (const datapath of datapaths)
    for (const test of config.tests)
      for (const size of sizesFor(test, config))
        for (const parallel of config.parallel)
          for (const placement of config.placements) {
            if (placement === 'intra-node' && getDatapath(datapath).addressing === 'host') continue // one host stack: nothing to cross
            const engine = inputs.engineFor(test).name
            cells.push({ key: cellKey({ datapath, test, size, parallel, placement }), datapath, test, size, parallel, placement, engine })
          }
  return { datapaths, cells, skipped, notes }
}

/** The measuring order: rounds 1..samples, each a seeded shuffle of all cell keys. */
export function schedule(cellKeys: readonly string[], samples: number, seed: number): { key: string; iteration: number }[] {
  const order: { key: string; iteration: number }[] = []
  for (let iteration = 1; iteration <= samples; iteration++) {
    const random = seededRandom(seed * 1000 + iteration)
    const round = [...cellKeys]
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[round[i], round[j]] = [round[j] as string, round[i] as string]
    }
    for (const key of round) order.push({ key, iteration })
  }
  return order
}

/** 'auto': streams at the seed's 10K, request/response at 1024 bytes. */
export function sizesFor(test: TestKind, config: Pick<RunConfig, 'sizes'>): number[] {
  if (config.sizes !== 'auto') return config.sizes
  return isStream(test) ? [10240] : [1024]
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
