/**
 * A stored run read back for analysis: its record, cells and samples as stored, and its summary (statistics and
 * overheads). The one place that turns a run id into what every report and comparison starts from.
 */
import type { RunConfig } from '../measure/config.js'
import type { CellRecord, ResultStore, SampleRecord } from '../store/db.js'
import { summarizeRun, type RunSummary } from './summary.js'

export interface RunData {
  summary: RunSummary
  cells: CellRecord[]
  samples: SampleRecord[]
}

export function loadRunData(store: ResultStore, runId: string): RunData {
  const run = store.requireRun(runId)
  const cells = store.cells(run.id)
  const samples = store.samples(run.id)
  const baseline = (run.config as Partial<RunConfig>).baseline ?? 'host'
  return { summary: summarizeRun(run, cells, samples, baseline, store.testbeds(run.id)), cells, samples }
}
