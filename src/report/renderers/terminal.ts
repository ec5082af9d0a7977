/**
 * What a person reads in a terminal: each run's comparison table with its outcome and notes, and with several runs
 * every later run against the first (the bank's bare-metal-vs-VM view: "throughput −47% ±3%, latency +83% ±5%").
 */
import type { CellComparison } from '../../analysis/compare.js'
import type { Curve } from '../../analysis/curves.js'
import { CURVE_LEGEND, countLabel, curveCounts, curveRows, curveTitle, curveSentences } from '../curve-text.js'
import { variantTag } from '../../measure/tests.js'
import { machineOf, overheadText, precisionLabel, shortTime } from '../format.js'
import type { ReportModel, RunReport } from '../model.js'
import { overheadRows } from '../overheads.js'
import type { RunListEntry } from '../run-list.js'
import { renderTable } from '../table.js'
import { table } from '../text-table.js'
import type { Renderer } from './renderer.js'

export const terminalRenderer: Renderer = {
  name: 'terminal',
  extension: 'txt',
  mediaType: 'text/plain; charset=utf-8',
  render: (model: ReportModel) => [...model.runs.map(runText), comparisonText(model)].filter(Boolean).join('\n'),
}

/** Every later run against the first ('' with one run). */
export function comparisonText(model: ReportModel): string {
  const [reference, ...others] = model.runs
  if (!reference) return ''
  return others.map((o) => changesText(model.changes.filter((c) => c.other === o.summary.run.id), o, reference)).join('\n')
}

function runText(report: RunReport): string {
  const { run } = report.summary
  const lines = [`run ${run.id} (${run.status}) ${shortTime(run.createdAt)} — ${machineOf(run.environment)}, kernel ${String(run.environment['kernel'])}`, '', renderTable(report)]
  const outcome = outcomeLine(report)
  if (outcome) lines.push(outcome)
  if (report.curves.length > 0) lines.push('', `Policy and Services at scale: ${CURVE_LEGEND}.`)
  for (const curve of report.curves) lines.push('', ...curveText(curve))
  for (const s of run.notes.skipped ?? []) lines.push(`not measured: ${s.datapath}: ${s.reason}`)
  for (const w of [...(run.notes.warnings ?? []), ...report.summary.warnings]) lines.push(`note: ${w}`)
  return lines.join('\n') + '\n'
}

/** A curve against N: its table (value ± half the CI, cost against N = 0), then how it ends and what crosses. */
function curveText(curve: Curve): string[] {
  return [curveTitle(curve), table(['implementation', ...curveCounts(curve).map(countLabel)], curveRows(curve)), ...curveSentences(curve).map((s) => `  ${s}`)]
}

/** With a precision target: which overheads reached it, and why measuring stopped. */
function outcomeLine(report: RunReport): string | undefined {
  if (!report.precision) return undefined
  const { target, cells, stoppedBy } = report.precision
  const short = cells.filter((c) => !c.met)
  if (short.length === 0) return `precision target ${precisionLabel(target)}: met by all ${cells.length} overheads`
  const list = short.map((c) => `${c.key.split('/').slice(0, 2).join(' ')} ±${(c.halfWidth * 100).toFixed(1)}`).join(', ')
  return `precision target ${precisionLabel(target)}: met by ${cells.length - short.length} of ${cells.length} overheads${stoppedBy === 'time-budget' ? ' before the time budget ran out' : ''}; not met: ${list}`
}

/** One later run against the reference: a table of relative changes, then one sentence per datapath. */
function changesText(rows: CellComparison[], other: RunReport, reference: RunReport): string {
  const lines = [`${other.summary.run.id} against ${reference.summary.run.id}  (relative change, ± half the 95% CI; rate: + is faster; p50, p99, CPU: + is slower or costlier)`]
  lines.push(table(['datapath', 'test', 'size', 'rate', 'p50', 'p99', 'CPU/unit', 'measured differently'], rows.map((c) => [
    `${c.datapath}${variantTag(c.variant)}`, c.test, String(c.size), overheadText(c.rate), overheadText(c.latencyP50), overheadText(c.latencyP99), overheadText(c.cpu), c.differences.join('; ') || '—'])))
  const unlike = rows.filter((c) => c.differences.length > 0)
  if (unlike.length > 0) lines.push(`note: ${unlike.length} of ${rows.length} cells were measured differently in the two runs; their change includes that difference`)
  lines.push('', ...changeSentences(rows), '')
  return lines.join('\n')
}

/** Per datapath, the sentence of the bank's bare-metal-vs-VM study: stream throughput change and request/response latency change. */
export function changeSentences(rows: CellComparison[]): string[] {
  const datapaths = [...new Set(rows.map((r) => r.datapath))]
  return datapaths.map((dp) => {
    const mine = rows.filter((r) => r.datapath === dp)
    const stream = mine.find((r) => r.test === 'TCP_STREAM') ?? mine.find((r) => r.rateMetric === 'throughput_bps')
    const rr = mine.find((r) => r.test === 'TCP_RR') ?? mine.find((r) => r.latencyP50)
    const parts = [...(stream?.rate ? [`throughput ${overheadText(stream.rate)}`] : []), ...(rr?.latencyP50 ? [`latency ${overheadText(rr.latencyP50)}`] : [])]
    return `${dp}: ${parts.join(', ') || 'no common tests'}`
  })
}

/** `compare RUN`: each datapath's overheads against the run's baseline. */
export function overheadsText(report: RunReport): string {
  const rows = overheadRows(report)
  return [
    `overhead against ${report.summary.baseline} (positive = costs more: less throughput, more latency), ± half the 95% CI`,
    table(['datapath', 'test', 'size', 'rate', 'p50', 'p99'], rows.map((r) => [r.datapath, r.test, String(r.size), overheadText(r.rate), overheadText(r.latencyP50), overheadText(r.latencyP99)])),
  ].join('\n') + '\n'
}

/** `results list`: one line per stored run. */
export function runListText(runs: RunListEntry[]): string {
  return table(['run', 'created', 'status', 'cells', 'samples', 'kernel', 'machine', 'label'], runs.map((r) => [
    r.id, shortTime(r.createdAt), r.status, String(r.cells), String(r.samples), String(r.environment['kernel'] ?? ''), machineOf(r.environment), r.label ?? ''])) + '\n'
}
