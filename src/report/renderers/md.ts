/** The comparison tables with the environment, for a wiki page or a pull request. */
import type { Curve } from '../../analysis/curves.js'
import { CURVE_LEGEND, countLabel, curveCounts, curveRows, curveTitle, curveSentences } from '../curve-text.js'
import { machineOf } from '../format.js'
import type { ReportModel, RunReport } from '../model.js'
import { comparisonBlocks, legend, type TableBlock } from '../table.js'
import type { Renderer } from './renderer.js'
import { changeSentences } from './terminal.js'

export const markdownRenderer: Renderer = {
  name: 'md',
  extension: 'md',
  mediaType: 'text/markdown; charset=utf-8',
  render: (model: ReportModel) => {
    const [reference, ...others] = model.runs
    const changes = reference && others.length > 0 ? ['## Change against the first run', '', ...others.flatMap((o) => changeSection(model, o, reference))] : []
    return [...model.runs.map(runMarkdown), ...changes].join('\n')
  },
}

function runMarkdown(report: RunReport): string {
  const { run } = report.summary
  const env = run.environment
  const out = [
    `# cnibench run ${run.id}`,
    '',
    `${run.status}, started ${run.createdAt}. Kernel ${String(env['kernel'])}, ${machineOf(env)}.`,
    '',
    ...comparisonBlocks(report).flatMap(markdownTable),
    legend(report),
    ...(report.curves.length > 0 ? ['', '## Policy and Services at scale', '', `${CURVE_LEGEND}.`, ''] : []),
    ...report.curves.flatMap(curveMarkdown),
  ]
  const skipped = run.notes.skipped ?? []
  if (skipped.length > 0) out.push('', '## Not measured here', '', ...skipped.map((s) => `- ${s.datapath}: ${s.reason}`))
  const warnings = [...(run.notes.warnings ?? []), ...report.summary.warnings]
  if (warnings.length > 0) out.push('', '## Warnings', '', ...warnings.map((w) => `- ${w}`))
  return out.join('\n') + '\n'
}

function changeSection(model: ReportModel, other: RunReport, reference: RunReport): string[] {
  const rows = model.changes.filter((c) => c.other === other.summary.run.id)
  return [`### ${other.summary.run.id} against ${reference.summary.run.id}`, '', ...changeSentences(rows).map((s) => `- ${s}`), '']
}

/** A curve against N as a table, then how each implementation ends up and where they cross. */
function curveMarkdown(curve: Curve): string[] {
  const block = { title: curveTitle(curve), headers: ['implementation', ...curveCounts(curve).map(countLabel)], rows: curveRows(curve) }
  return [...markdownTable(block), ...curveSentences(curve).map((s) => `- ${s}`), '']
}

function markdownTable(block: TableBlock): string[] {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [`### ${block.title}`, '', row(block.headers), row(block.headers.map(() => '---')), ...block.rows.map(row), '']
}
