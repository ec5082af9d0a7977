/**
 * From a RunConfig and what this host can do to the list of cells to measure and the order to measure them in.
 * Pure: availability and engine choice come in as functions, so planning is unit-tested without a kernel.
 *
 * Order: every sample round visits every cell once, in an order shuffled per round with the run's seed. Drift (a
 * noisy neighbour, thermal throttling, a cron job) then lands on all datapaths alike instead of on whichever ran last.
 */
import { CnibenchError } from '../errors.js'
import { servesStateless } from '../engines/cnb-perf-direct.js'
import type { Engine } from '../engines/engine.js'
import { datapathNames, getDatapath } from '../lab/datapaths/index.js'
import type { RunConfig } from './config.js'
import { canonicalVariant, cellKey, isStream, isTreated, testbedKey, type CellSpec, type TestKind, type Variant } from './tests.js'
import { checkTreatmentConfig, hasServices, treatmentVariants } from './treatments.js'

export interface PlanInputs {
  /** Why a datapath cannot run here, or undefined when it can. */
  unavailableReason(datapath: string): string | undefined
  /** The engine for `test`: `wanted` if given (checked to be available), else the user's choice or the best one. */
  engineFor(test: CellSpec['test'], wanted?: string): Engine
  /** Why `datapath` cannot take a treatment variant here (a missing tool, a datapath the proxy cannot serve). */
  treatmentProblem?(datapath: string, variant: Variant): string | undefined
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
  checkTreatmentConfig(config)
  const engineFor = hasServices(config) ? servicesEngine(config, inputs) : (test: TestKind) => inputs.engineFor(test).name
  const treated = treatedTestbeds(testbeds(datapaths, config, notes), requested, config, inputs, notes)
  const cells: CellSpec[] = []
  for (const { datapath, variant } of treated)
    for (const test of config.tests)
      for (const size of sizesFor(test, config))
        for (const parallel of config.parallel)
          for (const placement of config.placements) {
            if (placement === 'intra-node' && getDatapath(datapath).addressing === 'host') continue // one host stack: nothing to cross
            if (placement === 'intra-node' && isTreated(variant)) continue // treatments sit on the inter-node path (treatedTestbeds)
            const shape = { datapath, variant, test, size, parallel, placement }
            cells.push({ key: cellKey(shape), ...shape, engine: engineFor(test) })
          }
  return { datapaths, cells, skipped, notes }
}

/**
 * Every testbed of a datapath the user asked for, once untreated and once per treatment variant (policy rules,
 * Services); an added baseline stays untreated. Treated cells measure the inter-node path, where the real plugins
 * put policy (the server's node) and Services (the client's node) for a pod on another node.
 */
function treatedTestbeds(labs: { datapath: string; variant: Variant }[], requested: string[], config: RunConfig, inputs: PlanInputs, notes: string[]): { datapath: string; variant: Variant }[] {
  const treatments = treatmentVariants(config).filter((v) => isTreated(v))
  if (treatments.length === 0) return labs
  if (config.placements.includes('intra-node')) notes.push('policy and Service variants are measured inter-node only (rules sit on the server\'s node, Services on the client\'s)')
  const result = [...labs]
  for (const lab of labs.filter((l) => requested.includes(l.datapath)))
    for (const treatment of treatments) {
      const variant = canonicalVariant({ ...lab.variant, ...treatment })
      const problem = inputs.treatmentProblem?.(lab.datapath, variant)
      if (problem) throw new CnibenchError('E_UNSUPPORTED', `${testbedKey({ datapath: lab.datapath, variant })} cannot run here: ${problem}`, { hint: 'choose another implementation, or leave that datapath out of --datapaths' })
      result.push({ datapath: lab.datapath, variant })
    }
  return result
}

/**
 * With Services in the matrix every cell, the untreated ones too, is measured by the stateless engine (a client
 * aiming at an address any backend may answer), so the curves and their zero differ only by the Services.
 */
function servicesEngine(config: RunConfig, inputs: PlanInputs): (test: TestKind) => string {
  const other = config.tests.find((t) => !servesStateless(t))
  if (other) throw new CnibenchError('E_USAGE', `Services variants measure TCP_RR and TCP_CRR, not ${other}`, { hint: 'run them with --tests TCP_RR,TCP_CRR (a stream through a Service is one connection like any other)' })
  for (const test of config.tests) {
    const wanted = config.engines?.[test]
    if (wanted !== undefined && wanted !== 'cnb-perf-direct') throw new CnibenchError('E_USAGE', `engine ${wanted} cannot stand behind a Service: it needs a control channel to one server`, { hint: `drop ${test}=${wanted} from --engine (Services runs use cnb-perf-direct)` })
  }
  return (test) => inputs.engineFor(test, 'cnb-perf-direct').name
}

/**
 * The labs to measure on: every datapath on its own underlay under every NIC profile asked for, and the baseline on
 * each kind of lab the others use (the host network through the router that CrossSubnet's nodes sit behind), so that
 * every overhead compares like with like. Where the baseline cannot take a variant, the closest one is used and a
 * note says how the paths differ.
 */
export function testbeds(datapaths: string[], config: Pick<RunConfig, 'baseline' | 'nicOffloads'>, notes: string[]): { datapath: string; variant: Variant }[] {
  const result = new Map<string, { datapath: string; variant: Variant }>()
  const add = (datapath: string, variant: Variant) => {
    const canonical = canonicalVariant(variant)
    result.set(testbedKey({ datapath, variant: canonical }), { datapath, variant: canonical })
  }
  const ownUnderlay = (name: string) => (getDatapath(name).underlays ?? ['switched'])[0] as string
  for (const nic of config.nicOffloads) {
    for (const datapath of datapaths) add(datapath, { nic, underlay: ownUnderlay(datapath) })
    const baseUnderlays = getDatapath(config.baseline).underlays ?? ['switched']
    for (const datapath of datapaths.filter((d) => d !== config.baseline)) {
      const underlay = ownUnderlay(datapath)
      if (baseUnderlays.includes(underlay as never)) add(config.baseline, { nic, underlay })
      else notes.push(`${datapath} runs on a ${underlay} underlay, which the baseline ${config.baseline} cannot: its overheads compare paths that differ by that`)
    }
  }
  return [...result.values()]
}

/** 'auto': streams at the 10K of the bank's bare-metal-vs-VM study, request/response at 1024 bytes. */
export function sizesFor(test: TestKind, config: Pick<RunConfig, 'sizes'>): number[] {
  if (config.sizes !== 'auto') return config.sizes
  return isStream(test) ? [10240] : [1024]
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
