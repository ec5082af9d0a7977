/**
 * Live progress of a run on stderr (stdout stays clean for --json): on a terminal one line rewritten in place with
 * the cell, the sample, k of n and the ETA; otherwise plain lines, one per sample, for logs and CI. The words come
 * from report/progress.ts; this file only decides how they reach the terminal.
 */
import type { Progress } from '../measure/runner.js'
import { progressLine } from '../report/progress.js'

export interface ProgressDisplay {
  note(message: string): void
  sample(p: Progress): void
  finish(): void
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const tty = stream.isTTY === true
  const started = Date.now()
  let lineOpen = false
  const clear = () => {
    if (tty && lineOpen) stream.write('\r\x1b[2K')
    lineOpen = false
  }
  return {
    note(message) {
      clear()
      stream.write(`cnibench: ${message}\n`)
    },
    sample(p) {
      const perSample = (Date.now() - started) / p.done
      const text = progressLine(p, perSample * (p.total - p.done))
      if (tty) {
        clear()
        stream.write(text.slice(0, (stream.columns ?? 120) - 1))
        lineOpen = true
      } else {
        stream.write(`${text}\n`)
      }
    },
    finish() {
      clear()
    },
  }
}
