/**
 * `cnibench compare RUN [RUN...]`: with one run, each datapath against the run's baseline; with several, every later
 * run against the first (e.g. the same datapaths on bare metal, then on a VM), as the bank's bare-metal-vs-VM study puts it:
 * "throughput −47% ± 3%, latency +83% ± 5%".
 */
import type { Command } from 'commander'
import { loadReport } from '../../report/load.js'
import { overheadsJson } from '../../report/renderers/json.js'
import { comparisonText, overheadsText } from '../../report/renderers/terminal.js'
import { printJson } from '../output.js'
import { withStore } from './results.js'

export function registerCompare(program: Command): void {
  program
    .command('compare <runs...>')
    .description('one run: each datapath against its baseline; several: each run against the first, with 95% CIs')
    .option('--db <file>', 'results database')
    .option('--json', 'machine-readable output')
    .action((ids: string[], opts: { db?: string; json?: boolean }) => {
      const model = withStore(opts.db, (store) => loadReport(store, ids))
      const [reference] = model.runs
      if (!reference) return
      if (model.runs.length === 1) {
        if (opts.json) printJson(overheadsJson(reference))
        else process.stdout.write(overheadsText(reference))
        return
      }
      if (opts.json) printJson(model.changes)
      else process.stdout.write(comparisonText(model))
    })
}
