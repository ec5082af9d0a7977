/** Every sample and metric of every run in long format, for spreadsheets and notebooks. */
import { metricInfo } from '../../measure/metrics.js'
import { variantTag } from '../../measure/tests.js'
import type { ReportModel, RunReport } from '../model.js'
import type { Renderer } from './renderer.js'

// Columns are only ever appended, so scripts reading older exports by position keep working.
const CSV_HEADER = ['run_id', 'datapath', 'test', 'size', 'parallel', 'placement', 'engine', 'engine_version', 'iteration', 'started_at', 'metric', 'value', 'unit', 'error', 'variant', 'excluded']

export const csvRenderer: Renderer = {
  name: 'csv',
  extension: 'csv',
  mediaType: 'text/csv; charset=utf-8',
  render: (model: ReportModel) => [CSV_HEADER.join(','), ...model.runs.flatMap(sampleLines)].join('\n') + '\n',
}

function sampleLines(report: RunReport): string[] {
  const byKey = new Map(report.summary.cells.map((c) => [c.key, c]))
  const lines: string[] = []
  for (const s of report.samples) {
    const c = byKey.get(s.cellKey)
    if (!c) continue
    const prefix = [report.summary.run.id, c.datapath, c.test, c.size, c.parallel, c.placement, c.engine, c.engineVersion, s.iteration, s.startedAt]
    const suffix = [variantTag(c.variant), s.excluded ?? '']
    if (s.error) lines.push(csvRow([...prefix, '', '', '', s.error, ...suffix]))
    for (const [metric, value] of Object.entries(s.metrics)) lines.push(csvRow([...prefix, metric, value, metricInfo(metric).unit, '', ...suffix]))
  }
  return lines
}

function csvRow(fields: (string | number)[]): string {
  return fields.map((f) => (typeof f === 'string' && /[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : String(f))).join(',')
}
