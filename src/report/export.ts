/**
 * Exporters, each a pure function from stored data to text: JSON (the stable summary `run --json` also prints), CSV
 * (every sample and metric in long format, for spreadsheets and notebooks) and Markdown (the comparison table with
 * the environment, for a wiki page or a pull request). The CLI writes the text where it is asked to.
 */
import type { RunSummary } from '../analysis/summary.js'
import { metricInfo } from '../measure/metrics.js'
import { variantTag } from '../measure/tests.js'
import type { CellRecord, SampleRecord } from '../store/db.js'
import { comparisonBlocks, legend, type TableBlock } from './table.js'

export interface ExportData {
  summary: RunSummary
  cells: CellRecord[]
  samples: SampleRecord[]
}

export const exporters = {
  json: (d: ExportData) => JSON.stringify(summaryJson(d.summary), null, 2) + '\n',
  csv: (d: ExportData) => samplesCsv(d),
  md: (d: ExportData) => markdown(d.summary),
} as const satisfies Record<string, (d: ExportData) => string>

export type ExportFormat = keyof typeof exporters

/** The stable JSON shape of a run's results. Add fields; never rename them. */
export function summaryJson(summary: RunSummary) {
  const { run } = summary
  return {
    runId: run.id,
    status: run.status,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    baseline: summary.baseline,
    config: run.config,
    environment: run.environment,
    skipped: run.notes.skipped ?? [],
    outcome: run.notes.outcome ?? null,
    testbeds: summary.testbeds.map((t) => ({ key: t.key, datapath: t.datapath, variant: t.variant, builtAt: t.builtAt, facts: t.facts })),
    warnings: [...(run.notes.warnings ?? []), ...summary.warnings],
    cells: summary.cells.map((c) => ({
      datapath: c.datapath,
      variant: c.variant,
      test: c.test,
      size: c.size,
      parallel: c.parallel,
      placement: c.placement,
      engine: c.engine,
      engineVersion: c.engineVersion,
      context: c.context,
      samples: c.samples,
      failed: c.failed,
      excluded: c.excluded,
      contended: c.contended,
      metrics: Object.fromEntries(
        Object.entries(c.metrics).map(([name, m]) => [
          name,
          { unit: m.unit, n: m.n, median: m.median, ci95: m.medianCi95 ?? null, mean: m.mean, meanCi95: m.meanCi95 ?? null, stddev: nullable(m.stddev), overhead: m.overhead ? { value: m.overhead.value, ci95: m.overhead.ci95 ?? null, n: m.overhead.n, method: m.overhead.method } : null },
        ]),
      ),
      latency: c.latency
        ? {
            unit: 'µs',
            pooled: true,
            observations: c.latency.observations,
            p50: c.latency.p50,
            p50Ci95: c.latency.p50Ci95 ?? null,
            p90: c.latency.p90,
            p99: c.latency.p99,
            p99Ci95: c.latency.p99Ci95 ?? null,
            mean: c.latency.mean,
            p50Overhead: c.latency.p50Overhead ?? null,
            p99Overhead: c.latency.p99Overhead ?? null,
          }
        : null,
    })),
  }
}

// Columns are only ever appended, so scripts reading older exports by position keep working.
const CSV_HEADER = ['run_id', 'datapath', 'test', 'size', 'parallel', 'placement', 'engine', 'engine_version', 'iteration', 'started_at', 'metric', 'value', 'unit', 'error', 'variant', 'excluded']

function samplesCsv({ summary, cells, samples }: ExportData): string {
  const byId = new Map(cells.map((c) => [c.id, c]))
  const excluded = new Map(summary.cells.flatMap((c) => c.excluded.map((e) => [e.sampleId, e.reason] as const)))
  const lines = [CSV_HEADER.join(',')]
  for (const s of samples) {
    const c = byId.get(s.cellId)
    if (!c) continue
    const prefix = [summary.run.id, c.datapath, c.test, c.size, c.parallel, c.placement, c.engine, c.engineVersion, s.iteration, s.startedAt]
    const suffix = [variantTag(c.variant), excluded.get(s.id) ?? '']
    if (s.error) lines.push(csvRow([...prefix, '', '', '', s.error, ...suffix]))
    for (const [metric, value] of Object.entries(s.metrics)) lines.push(csvRow([...prefix, metric, value, metricInfo(metric).unit, '', ...suffix]))
  }
  return lines.join('\n') + '\n'
}

function csvRow(fields: (string | number)[]): string {
  return fields.map((f) => (typeof f === 'string' && /[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : String(f))).join(',')
}

function markdown(summary: RunSummary): string {
  const env = summary.run.environment
  const out = [
    `# cnibench run ${summary.run.id}`,
    '',
    `${summary.run.status}, started ${summary.run.createdAt}. Kernel ${String(env['kernel'])}, ${String(env['cpuCount'])} × ${String(env['cpuModel'])}, ${String(env['virtualization'])}${env['hypervisor'] ? ` (${String(env['hypervisor'])})` : ''}.`,
    '',
    ...comparisonBlocks(summary).flatMap(markdownTable),
    legend(summary),
  ]
  const skipped = summary.run.notes.skipped ?? []
  if (skipped.length > 0) out.push('', '## Not measured here', '', ...skipped.map((s) => `- ${s.datapath}: ${s.reason}`))
  const warnings = [...(summary.run.notes.warnings ?? []), ...summary.warnings]
  if (warnings.length > 0) out.push('', '## Warnings', '', ...warnings.map((w) => `- ${w}`))
  return out.join('\n') + '\n'
}

function markdownTable(block: TableBlock): string[] {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [`### ${block.title}`, '', row(block.headers), row(block.headers.map(() => '---')), ...block.rows.map(row), '']
}

function nullable(n: number): number | null {
  return Number.isFinite(n) ? n : null
}
