/** `cnibench results list|show|export`: read stored runs; nothing here measures anything. */
import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { loadReport } from '../../report/load.js'
import { runListOf } from '../../report/run-list.js'
import { getRenderer, renderers } from '../../report/renderers/index.js'
import { runListText } from '../../report/renderers/terminal.js'
import { ResultStore } from '../../store/db.js'
import { defaultDbPath } from '../../system/paths.js'
import { print, printJson } from '../output.js'

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
        const runs = await runListOf(store)
        if (opts.json) return printJson(runs)
        if (runs.length === 0) return print(`no runs in ${store.path} (start one with \`cnibench run\`)`)
        process.stdout.write(runListText(runs))
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
      withStore(opts.db, (store) => process.stdout.write(renderers[opts.json ? 'json' : 'terminal'].render(loadReport(store, [id]))))
    })
  results
    .command('export <run>')
    .description(`export a run as ${Object.keys(renderers).join(', ')} (json: the summary; csv: every sample)`)
    .requiredOption('--format <format>', Object.keys(renderers).join(' | '))
    .option('--output <file>', 'write here instead of stdout')
    .option('--db <file>', 'results database')
    .action((id: string, opts: { db?: string; format: string; output?: string }) => {
      const renderer = getRenderer(opts.format)
      withStore(opts.db, (store) => {
        const text = renderer.render(loadReport(store, [id]))
        if (opts.output) writeFileSync(opts.output, text)
        else process.stdout.write(text)
      })
    })
}

export function openStore(path: string | undefined): ResultStore {
  return ResultStore.open(path ?? defaultDbPath())
}

export function withStore<T>(db: string | undefined, use: (store: ResultStore) => T): T {
  const store = openStore(db)
  try {
    return use(store)
  } finally {
    store.close()
  }
}
