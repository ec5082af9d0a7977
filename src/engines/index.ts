/**
 * The engine registry, and the choice of engine per test: among the engines installed here that can run the test,
 * the one ranked most precise (iperf3 for streams, sockperf for request/response, netperf then cnb-crr for TCP_CRR).
 */
import { existsSync } from 'node:fs'
import { CnibenchError } from '../errors.js'
import type { TestKind } from '../measure/tests.js'
import type { HostReport } from '../system/doctor.js'
import { cnbCrr } from './cnb-crr.js'
import type { Engine } from './engine.js'
import { iperf3 } from './iperf3.js'
import { netperf } from './netperf.js'
import { sockperf } from './sockperf.js'

export const engines = { iperf3, sockperf, netperf, 'cnb-crr': cnbCrr } as const satisfies Record<string, Engine>
export type EngineName = keyof typeof engines

export interface EngineAvailability {
  available: boolean
  version: string
  reason: string
}

export function engineAvailability(engine: Engine, host: HostReport, cnibenchVersion: string): EngineAvailability {
  if ('builtFile' in engine.requires) {
    const built = existsSync(engine.requires.builtFile)
    return {
      available: built,
      version: `cnibench ${cnibenchVersion}`,
      reason: built ? '' : `${engine.requires.builtFile} was not built (clang missing at build time)`,
    }
  }
  const tool = host.tools.find((t) => t.tool === (engine.requires as { tool: string }).tool)
  return { available: tool?.available ?? false, version: tool?.version ?? '', reason: tool?.reason ?? 'not probed' }
}

/** The best available engine for `test`, or a one-line error naming what to install. */
export function chooseEngine(test: TestKind, isAvailable: (e: Engine) => boolean): Engine {
  const candidates = Object.values(engines)
    .filter((e) => e.rank(test) !== undefined)
    .sort((a, b) => (a.rank(test) as number) - (b.rank(test) as number))
  const chosen = candidates.find(isAvailable)
  if (!chosen) {
    throw new CnibenchError('E_MISSING_TOOL', `no engine for ${test} is installed (any of: ${candidates.map((c) => c.name).join(', ')})`, {
      hint: 'run ./scripts/bootstrap.sh to install iperf3 and sockperf and build cnb-crr',
    })
  }
  return chosen
}

export function getEngine(name: string): Engine {
  const engine = (engines as Record<string, Engine>)[name]
  if (!engine) throw new CnibenchError('E_USAGE', `unknown engine "${name}"`, { hint: `choose one of: ${Object.keys(engines).join(', ')}` })
  return engine
}
