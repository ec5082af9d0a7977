/** `cnibench advise RUN [--scenario NAME] [--json]`: the run's datapaths ranked per scenario, with reasons. */
import type { Command } from 'commander'
import { loadRunData } from '../../analysis/run-data.js'
import { advise } from '../../advice/advise.js'
import { adviceText } from '../../report/advice-text.js'
import { printJson } from '../output.js'
import { withStore } from './results.js'

export function registerAdvise(program: Command): void {
  program
    .command('advise <run>')
    .description('rank the datapaths a run measured for each scenario, with the measured figures and sourced facts behind each place')
    .option('--scenario <name>', 'one scenario (finance, ecommerce, edge, small-cluster, or any other in data/scenarios.json)')
    .option('--json', 'machine-readable output')
    .option('--db <file>', 'results database')
    .action((id: string, opts: { scenario?: string; json?: boolean; db?: string }) => {
      const advice = withStore(opts.db, (store) => advise(loadRunData(store, store.requireRun(id).id).summary, opts.scenario))
      if (opts.json) printJson(advice)
      else process.stdout.write(adviceText(advice))
    })
}
