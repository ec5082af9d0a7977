/**
 * A lab's wiring as data: the ordered list of iproute2 and sysctl steps a datapath asks for. Datapaths only append
 * steps (pure, testable, printable by --dry-run); `executeScript` runs them, folding consecutive steps for the same
 * tool and namespace into one `-batch` process so a 50-node lab does not cost thousands of forks.
 */
import { batch, inNetns, setSysctls } from '../exec/netns.js'
import { interruptedError, run, shellQuote } from '../exec/run.js'

export type Step =
  | { tool: 'netns-add'; netns: string }
  | { tool: 'ip' | 'tc' | 'bridge'; netns: string; args: string[] }
  | { tool: 'sysctl'; netns: string; key: string; value: string }
  | { tool: 'ethtool'; netns: string; args: string[] }

export class Script {
  readonly steps: Step[] = []

  netns(name: string): this {
    this.steps.push({ tool: 'netns-add', netns: name })
    return this
  }

  /** `ip -n NETNS ...args` */
  ip(netns: string, ...args: (string | number)[]): this {
    this.steps.push({ tool: 'ip', netns, args: args.map(String) })
    return this
  }

  tc(netns: string, ...args: (string | number)[]): this {
    this.steps.push({ tool: 'tc', netns, args: args.map(String) })
    return this
  }

  bridge(netns: string, ...args: (string | number)[]): this {
    this.steps.push({ tool: 'bridge', netns, args: args.map(String) })
    return this
  }

  sysctl(netns: string, key: string, value: string | number): this {
    this.steps.push({ tool: 'sysctl', netns, key, value: String(value) })
    return this
  }

  /** `ip netns exec NETNS ethtool ...args` (device offloads: see offloads.ts). */
  ethtool(netns: string, ...args: (string | number)[]): this {
    this.steps.push({ tool: 'ethtool', netns, args: args.map(String) })
    return this
  }

  /** The steps as the shell commands a user could type (for --dry-run and error messages). */
  toShell(): string[] {
    return this.steps.map(stepToShell)
  }
}

export function stepToShell(step: Step): string {
  switch (step.tool) {
    case 'netns-add':
      return `ip netns add ${step.netns}`
    case 'sysctl':
      return `ip netns exec ${step.netns} sysctl -w ${step.key}=${step.value}`
    case 'ethtool':
      return shellQuote(inNetns(step.netns, ['ethtool', ...step.args]))
    default:
      return shellQuote([step.tool, '-n', step.netns, ...step.args])
  }
}

interface Group {
  tool: Step['tool']
  netns: string
  steps: Step[]
}

/** Consecutive steps that can share one process. Order across groups is preserved. */
export function groupSteps(steps: readonly Step[]): Group[] {
  const groups: Group[] = []
  for (const step of steps) {
    const last = groups.at(-1)
    const groupNetns = step.tool === 'netns-add' ? '' : step.netns
    if (last && last.tool === step.tool && last.netns === groupNetns) last.steps.push(step)
    else groups.push({ tool: step.tool, netns: groupNetns, steps: [step] })
  }
  return groups
}

/** Run `script`, group by group; once `signal` aborts, nothing more starts and the step in flight is killed. */
export async function executeScript(script: Script, signal?: AbortSignal): Promise<void> {
  const opts = signal ? { signal } : {}
  for (const group of groupSteps(script.steps)) {
    if (signal?.aborted) throw interruptedError() // stop building: the caller removes what exists
    if (group.tool === 'netns-add') {
      await batch('ip', undefined, group.steps.map((s) => `netns add ${s.netns}`), opts)
    } else if (group.tool === 'ethtool') {
      // ethtool has no batch mode; a lab has one such step per node.
      for (const step of group.steps) await run(inNetns(step.netns, ['ethtool', ...(step as Extract<Step, { args: string[] }>).args]), opts)
    } else if (group.tool === 'sysctl') {
      await setSysctls(group.netns, group.steps.map((s) => s as Extract<Step, { tool: 'sysctl' }>))
    } else {
      const lines = group.steps.map((s) => shellQuote((s as Extract<Step, { args: string[] }>).args))
      await batch(group.tool, group.netns, lines, opts)
    }
  }
}
