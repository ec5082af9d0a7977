/**
 * Ctrl-C and SIGTERM: one path for both (as flent maps TERM to INT). Stop the children we started, run every
 * registered hook (mark a run interrupted, remove the labs this process was using), then exit 130 / 143. The library
 * never installs signal handlers; only the CLI does, here.
 */
import { killLiveChildren } from '../exec/run.js'
import { activeLabNames, destroyLab } from '../lab/lifecycle.js'

type Hook = () => Promise<void> | void
const hooks: Hook[] = []
let stopping = false

/** Run `hook` (before the labs are removed) if this process is interrupted. */
export function onInterrupt(hook: Hook): () => void {
  hooks.push(hook)
  return () => {
    const i = hooks.indexOf(hook)
    if (i >= 0) hooks.splice(i, 1)
  }
}

export function installInterruptHandlers(): void {
  process.on('SIGINT', () => void interrupt('SIGINT'))
  process.on('SIGTERM', () => void interrupt('SIGTERM'))
}

async function interrupt(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  if (stopping) return
  stopping = true
  process.stderr.write(`\ncnibench: ${signal}, removing what this process created…\n`)
  killLiveChildren()
  for (const hook of [...hooks].reverse()) await Promise.resolve().then(hook).catch(() => {})
  await Promise.allSettled(activeLabNames().map((name) => destroyLab(name)))
  process.exit(signal === 'SIGINT' ? 130 : 143)
}
