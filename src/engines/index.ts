/**
 * The engine registry, and the choice of engine per test: the one the user named for that test (`--engine
 * TCP_RR=sockperf`), else among the engines available here the one ranked first: cnb-perf, cnibench's own, for every
 * test (built with cnibench, so a run's figures do not depend on which optional tools happen to be installed), then
 * iperf3 for streams and sockperf for request/response, then netperf.
 */
import { existsSync } from 'node:fs'
import { CnibenchError } from '../errors.js'
import type { TestKind } from '../measure/tests.js'
import type { HostReport } from '../system/doctor.js'
import { cnbPerf } from './cnb-perf.js'
import { cnbPerfDirect } from './cnb-perf-direct.js'
import type { EngineName } from './names.js'
import type { Engine } from './engine.js'
import { iperf3 } from './iperf3.js'
import { netperf } from './netperf.js'
import { sockperf } from './sockperf.js'

export const engines = { 'cnb-perf': cnbPerf, 'cnb-perf-direct': cnbPerfDirect, iperf3, sockperf, netperf } as const satisfies Record<EngineName, Engine>

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

/**
 * The engine for `test`: `wanted` when the user named one (a one-line error when it is unknown, cannot run the test
 * or is not available here), else the best available one.
 */
export function chooseEngine(test: TestKind, isAvailable: (e: Engine) => boolean, wanted?: string): Engine {
  if (wanted !== undefined) {
    const engine = getEngine(wanted)
    if (engine.rank(test) === undefined) {
      throw new CnibenchError('E_USAGE', `engine ${wanted} cannot run ${test}`, { hint: `for ${test} choose one of: ${candidatesFor(test).map((c) => c.name).join(', ')}` })
    }
    if (!isAvailable(engine)) {
      throw new CnibenchError('E_MISSING_TOOL', `engine ${wanted} (asked for ${test}) is not available here`, { hint: `install it (see \`cnibench doctor\`), or drop ${test}=${wanted} from --engine` })
    }
    return engine
  }
  const candidates = candidatesFor(test)
  const chosen = candidates.find(isAvailable)
  if (!chosen) {
    throw new CnibenchError('E_MISSING_TOOL', `no engine for ${test} is available (any of: ${candidates.map((c) => c.name).join(', ')})`, {
      hint: 'run ./scripts/bootstrap.sh to build cnb-perf and install iperf3 and sockperf',
    })
  }
  return chosen
}

function candidatesFor(test: TestKind): Engine[] {
  return Object.values(engines)
    .filter((e) => e.rank(test) !== undefined)
    .sort((a, b) => (a.rank(test) as number) - (b.rank(test) as number))
}

export function getEngine(name: string): Engine {
  const engine = (engines as Record<string, Engine>)[name]
  if (!engine) throw new CnibenchError('E_USAGE', `unknown engine "${name}"`, { hint: `choose one of: ${Object.keys(engines).join(', ')}` })
  return engine
}
