/**
 * Which samples a disturbance hit, by a stated rule stored with the run (config.disturbances), so a stored run always
 * excludes the same samples and a reader can check why. Pure: cells and samples in, exclusions out. The runner uses
 * the same function to re-take what it excludes; the summary leaves excluded samples out of every figure and names
 * them in the warnings.
 *
 * Two kinds of disturbance, each seen from what was recorded beside the sample (SampleConditions):
 *  - a dip of the machine itself (on the VMs this was built on, speed drops 5–30% for 20 s to minutes, with steal time
 *    reading 0): the reference probe just before and just after the sample (measure/probe.ts) both read slower than
 *    usual by more than `probeBoth`, or one of them by more than `probeEither` (a dip that starts or ends during the
 *    sample). "Usual" is the median of the probes taken in the same place (rule v2: the same testbed, placement and
 *    CPU pinning). The probe runs in the client's namespace, and a namespace with netfilter hooks makes loopback
 *    connections dearer: in a hostNetwork pod on a Calico node lo_crr_us read 12% above the pods' probes on every
 *    sample, so a run-wide usual (rule v1, kept for the runs stored with it) took all of them for dips. The probe's
 *    figures are medians over many short operations, so the hypervisor taking the CPU away for a few milliseconds
 *    does not move them; what moves them lasts, and spoils the sample beside it.
 *  - another program's load: CPU used during the sample by processes that were not the sample's (measure/foreign.ts)
 *    above `foreignCores`. Not applied to runs started with --allow-concurrent, whose every sample is contended on
 *    purpose (they are flagged instead).
 *
 * Why exclusion and not pairing: measured on this kind of VM (docs/statistics.md), overheads from unpaired medians of
 * the kept samples have CIs as narrow as or narrower than pairs of adjacent samples, because per-sample noise adds up
 * in a pair; pairing only helps across a dip, which the rule removes.
 */
import type { CellRecord, SampleRecord } from '../store/db.js'
import { testbedKey } from '../measure/tests.js'
import { median } from './stats.js'

export interface DisturbanceRule {
  name: 'probe-and-foreign-load-v1' | 'probe-and-foreign-load-v2'
  /**
   * Which probes a probe is compared with (see probeGroup): those of the same CPU pinning (v1; absent in the runs
   * stored with it), or those taken in the same place (v2).
   */
  probesComparedWithin?: 'pinning' | 'place'
  /** Both probes beside a sample slower than usual by more than this fraction: a dip. */
  probeBoth: number
  /** Either probe slower than usual by more than this fraction: a dip. */
  probeEither: number
  /** Average cores used by foreign processes during the sample above this: foreign load. */
  foreignCores: number
  /** False for --allow-concurrent runs: foreign load is then expected and only flagged. */
  excludeForeignLoad: boolean
}

export const defaultDisturbanceRule: DisturbanceRule = {
  name: 'probe-and-foreign-load-v2',
  probesComparedWithin: 'place',
  probeBoth: 0.08,
  probeEither: 0.15,
  foreignCores: 0.1,
  excludeForeignLoad: true,
}

export interface Exclusion {
  sampleId: number
  reason: 'dip' | 'foreign-load'
  /** For people: "probe +14% before, +12% after (lo_rr_us)", "0.45 cores: cc1plus (pid 812)". */
  detail: string
}

/** Every sample of the run that `rule` excludes, by sample id. Without a rule (runs stored before it), none. */
export function findDisturbances(cells: readonly CellRecord[], samples: readonly SampleRecord[], rule: DisturbanceRule | undefined): Map<number, Exclusion> {
  const excluded = new Map<number, Exclusion>()
  if (!rule) return excluded
  const groupOf = new Map(cells.map((c) => [c.id, probeGroup(c, rule)]))
  const usual = usualProbeReadings(groupOf, samples)
  for (const s of samples) {
    if (s.error !== null) continue
    const foreign = s.conditions.foreignCpu
    if (rule.excludeForeignLoad && foreign && foreign.cores > rule.foreignCores) {
      const top = foreign.top.map((p) => `${p.command} (pid ${p.pid}) ${p.cores.toFixed(2)}`).join(', ')
      excluded.set(s.id, { sampleId: s.id, reason: 'foreign-load', detail: `${foreign.cores.toFixed(2)} cores used by other programs: ${top}` })
      continue
    }
    const reference = usual.get(groupOf.get(s.cellId) ?? '')
    const probe = s.conditions.probe
    if (!reference || !probe) continue
    const before = slowdown(probe.before, reference)
    const after = slowdown(probe.after, reference)
    if ((before.value > rule.probeBoth && after.value > rule.probeBoth) || Math.max(before.value, after.value) > rule.probeEither) {
      excluded.set(s.id, { sampleId: s.id, reason: 'dip', detail: `reference probe ${pct(before.value)} before (${before.field}), ${pct(after.value)} after (${after.field})` })
    }
  }
  return excluded
}

/**
 * Which probes a cell's compare with. Probes run on the sample's CPU, so readings compare within one pinning (a pinned
 * CPU, or unpinned); by place, also within one client namespace, which is the testbed's and the placement's.
 */
function probeGroup(cell: CellRecord, rule: DisturbanceRule): string {
  const pinning = String(cell.context['pinnedCpu'] ?? 'unpinned')
  return rule.probesComparedWithin === 'place' ? `${testbedKey(cell)} ${cell.placement} ${pinning}` : pinning
}

/** The usual reading of each probe field per group: the median over every probe of the group. */
function usualProbeReadings(groupOf: ReadonlyMap<number, string>, samples: readonly SampleRecord[]): Map<string, Record<string, number>> {
  const readings = new Map<string, Record<string, number>[]>()
  for (const s of samples) {
    const probe = s.conditions.probe
    if (!probe) continue
    const group = groupOf.get(s.cellId) ?? ''
    readings.set(group, [...(readings.get(group) ?? []), probe.before, probe.after])
  }
  const usual = new Map<string, Record<string, number>>()
  for (const [group, list] of readings) {
    const fields = new Set(list.flatMap((r) => Object.keys(r)))
    usual.set(group, Object.fromEntries([...fields].map((f) => [f, median(list.map((r) => r[f]).filter((v): v is number => v !== undefined))])))
  }
  return usual
}

/** The largest relative slowdown among the probe's fields (each is a time: larger is slower). */
function slowdown(reading: Record<string, number>, usual: Record<string, number>): { value: number; field: string } {
  let worst = { value: -Infinity, field: '' }
  for (const [field, value] of Object.entries(reading)) {
    const base = usual[field]
    if (!base) continue
    const s = value / base - 1
    if (s > worst.value) worst = { value: s, field }
  }
  return worst
}

const pct = (f: number) => `${f >= 0 ? '+' : '−'}${Math.abs(f * 100).toFixed(0)}%`
