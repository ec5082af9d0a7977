/**
 * What the bench scripts share: a lab to measure on, samples taken the way `cnibench run` takes them (measureSample,
 * pinned as runs pin, reference probe and all), interleaved rounds, and medians. Benchmarks print ratios measured in
 * one run; they assert nothing. Run them as root after a build, one at a time, with nothing else measuring.
 */
import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { median } from '../dist/analysis/stats.js'
import type { Engine } from '../dist/engines/engine.js'
import { destroyLab } from '../dist/lab/lifecycle.js'
import { labDir, type LabRecord } from '../dist/lab/state.js'
import { podsPerNodeFor, type Treatments } from '../dist/lab/treatments.js'
import { shuffleRound } from '../dist/measure/rounds.js'
import { measureSample } from '../dist/measure/sample.js'
import { ServerPool } from '../dist/measure/servers.js'
import { buildTestbed } from '../dist/measure/testbeds/lab.js'
import type { TestSpec } from '../dist/measure/tests.js'
import type { SampleInput } from '../dist/store/db.js'

/** The CPU single-flow samples are pinned to, as `--pin auto` does. */
export const PIN_CPU = availableParallelism() - 1

export { median }

export interface Sampler {
  lab: LabRecord
  /** One sample of `spec` with `engine`, pinned like a run; returns it with its wall time in seconds. */
  sample(engine: Engine, spec: Omit<TestSpec, 'serverCpu'>): Promise<SampleInput & { wallS: number }>
}

/**
 * Build a lab of `datapath` (with a NIC profile, or loaded with policy rules or Services as a run loads it), hand a
 * sampler to `body`, remove the lab whatever happens.
 */
export async function withLab<T>(datapath: string, body: (sampler: Sampler) => Promise<T>, extra: { nicOffloads?: string; treatments?: Treatments } = {}): Promise<T> {
  const { treatments = {}, ...request } = extra
  const name = `bench-${process.pid}-${Math.random().toString(36).slice(2, 6)}`
  const { testbed } = await buildTestbed(datapath, { name, nodes: 2, podsPerNode: podsPerNodeFor(treatments, 1), underlayCidr: '192.168.250.0/24', podCidr: '10.244.0.0/16', underlayMtu: 1500, ...request }, datapath, treatments)
  const { lab } = testbed
  const servers = new ServerPool()
  await mkdir(join(labDir(lab.name), 'work'), { recursive: true })
  const { client, server, backends } = testbed.endpoints('inter-node')
  let port = 30_000
  try {
    return await body({
      lab,
      async sample(engine, spec) {
        port += 11
        const t0 = performance.now()
        const result = await measureSample({
          engine,
          spec: { ...spec, serverCpu: PIN_CPU },
          client,
          server,
          ...(backends ? { backends } : {}),
          port,
          cpu: PIN_CPU,
          iteration: 1,
          foreign: testbed.foreign,
          probe: true,
          servers,
        })
        return { ...result, wallS: (performance.now() - t0) / 1000 }
      },
    })
  } finally {
    await servers.stopAll()
    await destroyLab(lab.name)
  }
}

/** Run every item once per round, in a seeded shuffle per round (drift lands on every item alike). */
export async function interleave(rounds: number, items: Record<string, () => Promise<void>>, seed = 1): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    for (const key of shuffleRound(Object.keys(items), seed, round)) await (items[key] as () => Promise<void>)()
    process.stderr.write(`round ${round}/${rounds} done\n`)
  }
}

/** Figures collected per key over the rounds, and their medians (a missing figure is kept as NaN, not dropped). */
export function figures(): { push: (key: string, v: number | undefined) => void; median: (key: string) => number } {
  const values = new Map<string, number[]>()
  return {
    push: (key, v) => void values.set(key, [...(values.get(key) ?? []), v ?? Number.NaN]),
    median: (key) => median(values.get(key) ?? []),
  }
}

export const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
