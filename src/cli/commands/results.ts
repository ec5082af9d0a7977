/** `cnibench results list|show|export`: read stored runs; nothing here measures anything. */
import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { assessPrecision } from '../../analysis/precision.js'
import { summarizeRun } from '../../analysis/summary.js'
import { CnibenchError } from '../../errors.js'
import { isOurs } from '../../exec/processes.js'
import { precisionTarget, type RunConfig } from '../../measure/config.js'
import { exporters, type ExportData } from '../../report/export.js'
import { renderTable } from '../../report/table.js'
import { ResultStore, type RunRecord, type RunStatus } from '../../store/db.js'
import { defaultDbPath } from '../../system/paths.js'
import { print, printJson, table } from '../output.js'

export function registerResults(program: Command): void {
  const results = program.command('results').description('list, show and export stored runs')
  results
    .command('list')
    .description('every run in the database')
    .option('--db <file>', 'results database')
    .option('--json', 'machine-readable output')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const store = openStore(opts.db)
      try {
        const runs = await Promise.all(
          store.listRuns().map(async (r) => ({ ...r, status: await statusOf(r), samples: store.sampleCount(r.id), cells: store.cells(r.id).length })),
        )
        if (opts.json) return printJson(runs.map((r) => ({ id: r.id, createdAt: r.createdAt, finishedAt: r.finishedAt, status: r.status, kind: r.kind, label: r.label, cells: r.cells, samples: r.samples, environment: r.environment })))
        if (runs.length === 0) return print(`no runs in ${store.path} (start one with \`cnibench run\`)`)
        print(table(['run', 'created', 'status', 'cells', 'samples', 'kernel', 'machine', 'label'], runs.map((r) => [
          r.id, r.createdAt.slice(0, 19).replace('T', ' '), r.status, String(r.cells), String(r.samples), String(r.environment['kernel'] ?? ''),
          machineOf(r), r.label ?? ''])))
      } finally {
        store.close()
      }
    })
  results
    .command('show <run>')
    .description('the comparison table of a stored run')
    .option('--db <file>', 'results database')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { db?: string; json?: boolean }) => {
      withRun(opts.db, id, (data) => (opts.json ? printJson(JSON.parse(exporters.json(data))) : printRunSummary(data)))
    })
  results
    .command('export <run>')
    .description('export a run as json (summary), csv (every sample) or md (report)')
    .requiredOption('--format <format>', 'json | csv | md')
    .option('--output <file>', 'write here instead of stdout')
    .option('--db <file>', 'results database')
    .action((id: string, opts: { db?: string; format: string; output?: string }) => {
      const exporter = (exporters as Record<string, (d: ExportData) => string>)[opts.format]
      if (!exporter) throw new CnibenchError('E_USAGE', `unknown export format "${opts.format}"`, { hint: `choose one of: ${Object.keys(exporters).join(', ')}` })
      withRun(opts.db, id, (data) => {
        const text = exporter(data)
        if (opts.output) writeFileSync(opts.output, text)
        else process.stdout.write(text)
      })
    })
}

export function openStore(path: string | undefined): ResultStore {
  return ResultStore.open(path ?? defaultDbPath())
}

function withRun(db: string | undefined, id: string, use: (data: ExportData) => void): void {
  const store = openStore(db)
  try {
    use(loadRunData(store, store.requireRun(id).id))
  } finally {
    store.close()
  }
}

export function loadRunData(store: ResultStore, runId: string): ExportData {
  const run = store.requireRun(runId)
  const cells = store.cells(run.id)
  const samples = store.samples(run.id)
  const baseline = (run.config as Partial<RunConfig>).baseline ?? 'host'
  return { summary: summarizeRun(run, cells, samples, baseline, store.testbeds(run.id)), cells, samples }
}

export function printRunSummary(data: ExportData): void {
  const { run } = data.summary
  print(`run ${run.id} (${run.status}) ${run.createdAt.slice(0, 19).replace('T', ' ')} — ${machineOf(run)}, kernel ${String(run.environment['kernel'])}`)
  print()
  print(renderTable(data.summary))
  const line = outcomeLine(data.summary)
  if (line) print(line)
  for (const s of run.notes.skipped ?? []) print(`not measured: ${s.datapath}: ${s.reason}`)
  for (const w of [...(run.notes.warnings ?? []), ...data.summary.warnings]) print(`note: ${w}`)
}

/** With a precision target: which overheads reached it, and why measuring stopped. */
function outcomeLine(summary: ExportData['summary']): string | undefined {
  const config = summary.run.config as Partial<RunConfig>
  const target = precisionTarget(config)
  if (target === undefined) return undefined
  const cells = assessPrecision(summary, target)
  const short = cells.filter((c) => !c.met)
  const stoppedBy = summary.run.notes.outcome?.stoppedBy
  if (short.length === 0) return `precision target ±${config.precision}%: met by all ${cells.length} overheads`
  const list = short.map((c) => `${c.key.split('/').slice(0, 2).join(' ')} ±${(c.halfWidth * 100).toFixed(1)}`).join(', ')
  return `precision target ±${config.precision}%: met by ${cells.length - short.length} of ${cells.length} overheads${stoppedBy === 'time-budget' ? ' before the time budget ran out' : ''}; not met: ${list}`
}

/** A 'running' run whose process is gone was interrupted (kill -9, power loss): say so. */
export async function statusOf(run: RunRecord): Promise<RunStatus> {
  if (run.status !== 'running') return run.status
  return run.owner && (await isOurs({ pid: run.owner.pid, startTime: run.owner.startTime, label: '', argv: [] })) ? 'running' : 'interrupted'
}

function machineOf(run: RunRecord): string {
  const e = run.environment
  const virt = e['virtualization'] === 'vm' ? `VM${e['hypervisor'] ? ` (${String(e['hypervisor'])})` : ''}` : 'bare metal'
  return `${String(e['cpuCount'] ?? '?')} × ${String(e['cpuModel'] ?? '?')}, ${virt}`
}

