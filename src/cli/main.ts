#!/usr/bin/env node
/**
 * cnibench's command line. The only place that prints errors, sets exit codes and installs signal handlers: every
 * command throws CnibenchError for anything a user can fix, and this edge prints it on one line with its hint.
 */
import { Command, CommanderError } from 'commander'
import { CnibenchError, ExitCode } from '../errors.js'
import { version } from '../version.js'
import { registerAdvise } from './commands/advise.js'
import { registerDatapaths } from './commands/datapaths.js'
import { registerDoctor } from './commands/doctor.js'
import { registerK8s } from './commands/k8s.js'
import { registerCompare } from './commands/compare.js'
import { registerLab } from './commands/lab.js'
import { registerReport } from './commands/report.js'
import { registerResults } from './commands/results.js'
import { registerRun } from './commands/run.js'
import { registerServe } from './commands/serve.js'
import { exitInterrupted, installInterruptHandlers, interruptExitCode } from './interrupt.js'

export function buildProgram(): Command {
  const program = new Command()
    .name('cnibench')
    .description('what a Kubernetes CNI datapath costs against the bare network, measured on real kernel devices')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerDoctor(program)
  registerDatapaths(program)
  registerLab(program)
  registerRun(program)
  registerResults(program)
  registerCompare(program)
  registerReport(program)
  registerAdvise(program)
  registerServe(program)
  registerK8s(program)
  return program
}

async function main(argv: string[]): Promise<void> {
  installInterruptHandlers()
  // `cnibench ... | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0)
    throw e
  })
  await buildProgram().parseAsync(argv, { from: 'user' })
}

main(process.argv.slice(2)).then(
  async () => {
    if (interruptExitCode() !== undefined) await exitInterrupted()
  },
  async (error: unknown) => {
    // An interrupted command fails with what was in flight; the interrupt, not that failure, is the outcome.
    if (interruptExitCode() !== undefined) await exitInterrupted()
    process.exitCode = report(error)
  },
)

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (and --help / --version output exit with code 0).
    return error.exitCode === 0 ? 0 : ExitCode.usage
  }
  if (error instanceof CnibenchError) {
    process.stderr.write(`cnibench: error: ${error.oneLine()}\n`)
    return error.exitCode
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.stderr.write(`cnibench: internal error (please report it): ${message}\n`)
  return ExitCode.failure
}
