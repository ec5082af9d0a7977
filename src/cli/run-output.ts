/** What `run` and `k8s run` do around a session: progress hooks for the terminal, then the table (or JSON) and the HTML report. */
import { loadReport } from '../report/load.js'
import { renderers } from '../report/renderers/index.js'
import { defaultReportPath, writeReport } from '../report/write.js'
import type { SessionHooks } from '../measure/session.js'
import type { ResultStore } from '../store/db.js'
import type { ProgressDisplay } from './progress.js'

export function sessionHooks(progress: ProgressDisplay): SessionHooks {
  return { note: (m) => progress.note(m), onLab: (m) => progress.note(m), onSample: (p) => progress.sample(p), onRound: (m) => progress.note(m) }
}

/** Print the finished run (table or --json) and write its HTML report unless --no-report. */
export function showFinishedRun(store: ResultStore, runId: string, opts: { json?: boolean; report?: string | false }): void {
  const model = loadReport(store, [runId])
  process.stdout.write(renderers[opts.json ? 'json' : 'terminal'].render(model))
  if (opts.report !== false) {
    const path = writeReport(opts.report ?? defaultReportPath(store.path, [runId], renderers.html), renderers.html, model)
    process.stderr.write(`cnibench: HTML report: ${path}\n`)
  }
}
