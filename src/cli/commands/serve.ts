/** `cnibench serve`: the local dashboard over the results store, until Ctrl-C. */
import type { Command } from 'commander'
import { startDashboard } from '../../dashboard/server.js'
import { CnibenchError } from '../../errors.js'
import { defaultDbPath } from '../../system/paths.js'
import { onInterrupt } from '../interrupt.js'
import { intOption } from '../options.js'
import { print } from '../output.js'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('a local, read-only web dashboard over the results: runs, reports, comparisons, advice, exports')
    .option('--port <n>', 'TCP port (0 picks a free one)', intOption, 7878)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--allow-remote', 'allow a non-loopback --host (the dashboard has no authentication)')
    .option('--db <file>', 'results database')
    .action(async (opts: { port: number; host: string; allowRemote?: boolean; db?: string }) => {
      if (opts.port < 0 || opts.port > 65535) throw new CnibenchError('E_USAGE', `--port must be from 0 to 65535, not ${opts.port}`, { hint: 'e.g. --port 7878' })
      const { server, url } = await startDashboard({ dbPath: opts.db ?? defaultDbPath(), host: opts.host, port: opts.port, allowRemote: opts.allowRemote === true })
      print(`cnibench dashboard: ${url}  (read-only; Ctrl-C stops it)`)
      onInterrupt(() => {
        server.close()
      })
      await new Promise<void>((resolve) => server.on('close', resolve))
    })
}
