/** `cnibench report RUN [RUN...]`: the HTML (and optionally Markdown) report of stored runs, written to files. */
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { loadReport } from '../../report/load.js'
import { renderers } from '../../report/renderers/index.js'
import { defaultReportPath, writeReport } from '../../report/write.js'
import { print } from '../output.js'
import { openStore } from './results.js'

interface ReportOptions {
  html?: string
  md?: string
  open?: boolean
  db?: string
}

export function registerReport(program: Command): void {
  program
    .command('report <runs...>')
    .description('write the HTML report of stored runs (several: side by side and as change against the first)')
    .option('--html <file>', 'where to write the HTML report (default: reports/ next to the database)')
    .option('--md <file>', 'also write the Markdown report here')
    .option('--open', 'open the HTML report in the desktop browser (xdg-open)')
    .option('--db <file>', 'results database')
    .action((ids: string[], opts: ReportOptions) => {
      const store = openStore(opts.db)
      try {
        const model = loadReport(store, ids)
        const runIds = model.runs.map((r) => r.summary.run.id)
        const html = writeReport(opts.html ?? defaultReportPath(store.path, runIds, renderers.html), renderers.html, model)
        print(`HTML report: ${html}`)
        if (opts.md) print(`Markdown report: ${writeReport(opts.md, renderers.md, model)}`)
        if (opts.open) openInBrowser(html)
      } finally {
        store.close()
      }
    })
}

/** Hand the file to the desktop's browser; on a server without one, say where the file is instead. */
function openInBrowser(path: string): void {
  const child = spawn('xdg-open', [path], { stdio: 'ignore', detached: true })
  child.on('error', () => process.stderr.write(`cnibench: no desktop browser here (xdg-open is missing); open file://${path} in a browser\n`))
  child.unref()
}
