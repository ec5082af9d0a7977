/**
 * Published CNI benchmark results (data/reference/: the Ducastel 2020 and 2024 benchmarks, see docs/studies.md),
 * read for display beside a user's run. Kept apart from the run's own figures: nothing here enters a user's
 * statistics, and every row carries its study's conditions.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../system/paths.js'

export interface ReferenceStudy {
  id: string
  title: string
  url: string
  conditions: string
  throughputLabel: string
  throughputUnit: string
  cpuUnit: string
  /** Whether the study measured host to host (then rows carry their difference from it). */
  hasBareMetal: boolean
  rows: ReferenceRow[]
}

export interface ReferenceRow {
  config: string
  /** Plugin family ("calico", "cilium", ...), matched to cnibench datapaths by `datapathsOfFamily`. */
  family: string
  runs: number
  throughput: number
  throughputSd: number | undefined
  /** (row / bare metal − 1) × 100, when the study measured bare metal. */
  vsBareMetalPct: number | undefined
  mtu: number | undefined
  cpuServer: number | undefined
  cpuClient: number | undefined
}

interface StudySpec {
  id: string
  title: string
  url: string
  file: string
  conditions: string
  throughput: { column: string; sd: string; unit: string; label: string }
  vsBareMetal?: string
  bareMetalRow?: string
  mtu?: string
  cpu: { server: string; client: string; unit: string }
}

interface ReferenceIndex {
  studies: StudySpec[]
  families: Record<string, string[]>
}

const referenceDir = join(packageRoot, 'data', 'reference')
let cached: { studies: ReferenceStudy[]; families: Record<string, string[]> } | undefined

export function referenceStudies(): ReferenceStudy[] {
  return load().studies
}

/** The cnibench datapaths that model a plugin family's modes (empty for families cnibench has no datapath of). */
export function datapathsOfFamily(family: string): string[] {
  return load().families[family] ?? []
}

function load() {
  if (cached) return cached
  const index = JSON.parse(readFileSync(join(referenceDir, 'studies.json'), 'utf8')) as ReferenceIndex
  cached = { studies: index.studies.map(readStudy), families: index.families }
  return cached
}

function readStudy(spec: StudySpec): ReferenceStudy {
  const records = parseCsv(readFileSync(join(referenceDir, spec.file), 'utf8'))
  const num = (r: Record<string, string>, column: string | undefined) => {
    const text = column === undefined ? '' : (r[column] ?? '')
    return text === '' ? undefined : Number(text)
  }
  return {
    id: spec.id,
    title: spec.title,
    url: spec.url,
    conditions: spec.conditions,
    throughputLabel: spec.throughput.label,
    throughputUnit: spec.throughput.unit,
    cpuUnit: spec.cpu.unit,
    hasBareMetal: spec.bareMetalRow !== undefined,
    rows: records.map((r) => ({
      config: r['config'] ?? '',
      family: familyOf(r['config'] ?? ''),
      runs: num(r, 'runs') ?? 0,
      throughput: num(r, spec.throughput.column) ?? Number.NaN,
      throughputSd: num(r, spec.throughput.sd),
      vsBareMetalPct: num(r, spec.vsBareMetal),
      mtu: num(r, spec.mtu),
      cpuServer: num(r, spec.cpu.server),
      cpuClient: num(r, spec.cpu.client),
    })),
  }
}

/** "doc-calico-3.16.u18.04-default" → "calico", "cilium-nokproxy" → "cilium", "custom-kube-ovn-issue1…" → "kube-ovn". */
function familyOf(config: string): string {
  const name = config.replace(/^(doc|tuning|custom)-/, '')
  return name.startsWith('kube-ovn') ? 'kube-ovn' : (name.split(/[-.]/)[0] ?? name)
}

/** The published files are plain CSV: a header line, commas, no quoted fields. */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n')
  const columns = (header ?? '').split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i] ?? String(i), v.trim()])))
}
