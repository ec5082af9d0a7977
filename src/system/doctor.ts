/**
 * What this host can do: root, each kernel feature (tried, not guessed), each tool, and from those, which datapaths
 * can run here and, for each that cannot, why and how to fix it. Used by `cnibench doctor`, `cnibench datapaths` and
 * the preflight of every command that builds a lab.
 */
import { release } from 'node:os'
import { CnibenchError } from '../errors.js'
import { run } from '../exec/run.js'
import { existsSync } from 'node:fs'
import { requirementsOf, resolveOptions, type Datapath, type DatapathOptions, type Requirement } from '../lab/datapath.js'
import { NETNS_PREFIX } from '../lab/topology.js'
import { deviceOffloads, type OffloadState } from '../lab/offloads.js'
import { probeFeatures, VETH_PROBE_DEVICE, type Feature, type FeatureProbe } from './features.js'
import { probeTools, type Tool, type ToolProbe } from './tools.js'

export interface HostReport {
  root: boolean
  kernel: string
  features: FeatureProbe[]
  tools: ToolProbe[]
  /** What a lab's underlay device (a veth) offers here: its changeable offloads as `ethtool -k` reads them. */
  vethOffloads: OffloadState
}

export interface Availability {
  available: boolean
  /** Every unmet requirement, joined; empty when available. */
  reason: string
  fix: string
}

let cached: Promise<HostReport> | undefined

/** Probe the host once per process; later callers share the answer. */
export function probeHost(): Promise<HostReport> {
  cached ??= probeHostUncached()
  return cached
}

async function probeHostUncached(): Promise<HostReport> {
  const root = process.getuid?.() === 0
  const [scratch, tools] = await Promise.all([root ? probeInScratchNetns() : Promise.resolve({ features: notRootFeatures(), vethOffloads: {} }), probeTools()])
  return { root, kernel: release(), ...scratch, tools }
}

async function probeInScratchNetns(): Promise<{ features: FeatureProbe[]; vethOffloads: OffloadState }> {
  const netns = `${NETNS_PREFIX}doctor-${process.pid}.probe`
  await run(['ip', 'netns', 'add', netns])
  try {
    const features = await probeFeatures(netns)
    // The veth probe left a pair behind in the scratch namespace: read what a lab's eth0 will offer.
    const vethOffloads = features.find((f) => f.feature === 'veth')?.available ? await deviceOffloads(netns, VETH_PROBE_DEVICE).catch(() => ({})) : {}
    return { features, vethOffloads }
  } finally {
    await run(['ip', 'netns', 'del', netns], { allowFailure: true })
  }
}

function notRootFeatures(): FeatureProbe[] {
  // Without root nothing can be tried; say so per feature rather than guess.
  return (['veth', 'bridge', 'vxlan'] as Feature[]).map((feature) => ({
    feature,
    available: false,
    reason: 'not probed: needs root',
    fix: 'run as root (sudo)',
  }))
}

/** Can `datapath` run here with `given` options (defaults and 'auto' resolved for this host)? */
export function availabilityOf(datapath: Datapath, host: HostReport, given: Record<string, string> = {}): Availability {
  const unmet = requirementProblems(requirementsOf(datapath, resolveOptions(datapath, given, host)), host)
  return {
    available: unmet.length === 0,
    reason: unmet.map((u) => u.reason).join('; '),
    fix: unmet.map((u) => u.fix).join('; '),
  }
}

/** What keeps `requires` from being met here, each with its fix (empty when every requirement is met). */
export function requirementProblems(requires: readonly Requirement[], host: HostReport): { reason: string; fix: string }[] {
  const unmet: { reason: string; fix: string }[] = []
  if (!host.root) unmet.push({ reason: 'building a lab needs root (network namespaces)', fix: 'run as root (sudo)' })
  for (const req of requires) {
    if (req.kind === 'built') {
      if (!existsSync(req.file)) unmet.push({ reason: `${req.what} was not built (${req.file} is missing)`, fix: 'run ./scripts/bootstrap.sh (it installs clang, llvm and libbpf-dev, then builds)' })
    } else if (req.kind === 'feature') {
      const probe = host.features.find((f) => f.feature === req.feature)
      if (host.root && probe && !probe.available) unmet.push({ reason: probe.reason, fix: probe.fix })
    } else {
      const probe = host.tools.find((t) => t.tool === (req.tool as Tool))
      if (probe && !probe.available) unmet.push({ reason: probe.reason, fix: probe.fix })
    }
  }
  return unmet
}

/** Throw one error naming every unmet requirement of `datapath` (preflight before building anything). */
export async function assertCanRun(datapath: Datapath, options: DatapathOptions): Promise<void> {
  requireRoot(`building the ${datapath.name} lab`)
  const availability = availabilityOf(datapath, await probeHost(), options)
  if (!availability.available) {
    throw new CnibenchError('E_UNSUPPORTED', `datapath ${datapath.name} cannot run here: ${availability.reason}`, {
      hint: `${availability.fix} (see \`cnibench doctor\`)`,
    })
  }
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new CnibenchError('E_NOT_ROOT', `${what} needs root (it creates network namespaces)`, {
      hint: 'run cnibench as root, e.g. `sudo ./cnibench ...`',
    })
  }
}
