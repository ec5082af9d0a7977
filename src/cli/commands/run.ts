/**
 * `cnibench run`: measure the matrix on lab datapaths, store every sample as it is taken, print the comparison.
 * `cnibench run --resume RUN` completes an interrupted run without measuring anything twice. This file parses flags,
 * shows progress and renders; the session itself is measure/session.ts.
 */
import type { Command } from 'commander'
import { nicProfiles, splitNicProfiles } from '../../lab/offloads.js'
import { checkResumable, planNewRun, runSession } from '../../measure/session.js'
import { policyImpls, proxyImpls } from '../../measure/treatments.js'
import { requireRoot } from '../../system/doctor.js'
import { interruptSignal } from '../interrupt.js'
import { addMatrixOptions, matrixConfig, type MatrixOptions } from '../matrix-options.js'
import { intOption, listOption } from '../options.js'
import { createProgress } from '../progress.js'
import { sessionHooks, showFinishedRun } from '../run-output.js'
import { openStore } from './results.js'

interface RunOptions extends MatrixOptions {
  wait?: boolean
  allowConcurrent?: boolean
  db?: string
  resume?: string
  report?: string | false
  json?: boolean
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('measure every datapath this host can run (or --datapaths) against the baseline; print the comparison')
    .option('--datapaths <list>', 'comma-separated datapaths (default: all that run here)', listOption)
    .option('--baseline <datapath>', 'datapath every overhead is measured against (default host)')
    .option('--mtu <bytes>', 'underlay MTU of the labs (default 1500)', intOption)
    .option('--nic-offloads <list>', `NIC offload profiles of the nodes' eth0, each measured: ${Object.keys(nicProfiles).join(', ')}, custom:feature=on|off,... (default full)`, splitNicProfiles)
    .option('--policy-rules <list>', 'network policy at scale: rule counts per treated lab, e.g. 0,100,1000,10000 (rules never match the measured flow)', listOption)
    .option('--policy-impl <list>', `policy implementations to load them with: ${policyImpls.join(', ')}`, listOption)
    .option('--policy-established-first', 'accept ESTABLISHED connections before the rules, as Calico does')
    .option('--services <list>', 'Services at scale: ClusterIP Services per treated lab, e.g. 1,100,1000,10000 (the last one is measured; TCP_RR and TCP_CRR)', listOption)
    .option('--proxy <list>', `Service proxies to lay them out with: ${proxyImpls.join(', ')}`, listOption)
  addMatrixOptions(command)
    .option('--no-wait', 'if another measurement is running on this machine, refuse instead of waiting for it')
    .option('--allow-concurrent', 'measure even while another measurement runs (every sample is marked as contended)')
    .option('--db <file>', 'results database (default: $XDG_DATA_HOME/cnibench/results.db)')
    .option('--resume <run>', 'complete an interrupted run (same matrix, skips what is stored)')
    .option('--report <file>', 'where to write the HTML report (default: reports/<run>.html next to the database)')
    .option('--no-report', 'do not write a report file')
    .option('--json', 'print the results as JSON on stdout (progress stays on stderr)')
    .action(runCommand)
}

async function runCommand(opts: RunOptions): Promise<void> {
  requireRoot('cnibench run')
  const store = openStore(opts.db)
  const progress = createProgress()
  try {
    // Everything a user can get wrong is checked before waiting for the machine: a typo never waits ten minutes.
    const target = opts.resume
      ? { resume: await checkResumable(store, opts.resume) }
      : { plan: await planNewRun(matrixConfig(opts)) }
    for (const s of target.plan?.skipped ?? []) progress.note(`not measuring ${s.datapath}: ${s.reason}`)
    const runId = await runSession(store, target, {
      wait: opts.wait !== false,
      allowConcurrent: opts.allowConcurrent === true,
      signal: interruptSignal,
      hooks: sessionHooks(progress),
    }).finally(() => progress.finish())
    showFinishedRun(store, runId, opts)
  } finally {
    store.close()
  }
}
