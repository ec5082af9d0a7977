/**
 * The environment fingerprint stored with every run, so lab runs, bare-metal runs, VM runs and cluster runs can be
 * told apart and compared: kernel, OS, CPU model and count, bare metal or which hypervisor, tool versions, cnibench
 * version and git commit. Read from /proc, /sys and the tools themselves.
 */
import { readFile } from 'node:fs/promises'
import { hostname, release } from 'node:os'
import { run } from '../exec/run.js'
import { version } from '../version.js'
import { packageRoot } from './paths.js'
import type { HostReport } from './doctor.js'

export interface Environment {
  kernel: string
  os: string
  hostname: string
  cpuModel: string
  cpuCount: number
  /** 'bare-metal' | 'vm' (from the CPUID hypervisor flag). */
  virtualization: string
  /** Which hypervisor, when one is detected, and who said so: "pvm (kernel)", "kvm (systemd-detect-virt)". */
  hypervisor: string
  container: string
  memoryGiB: number
  tools: Record<string, string>
  cnibenchVersion: string
  gitCommit: string
  node: string
  clockTicksPerSecond: number
}

export async function fingerprint(host: HostReport): Promise<Environment> {
  const cpuinfo = await readText('/proc/cpuinfo')
  const isVm = /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)
  const [hypervisor, container, os, meminfo, git] = await Promise.all([
    isVm ? detectHypervisor() : Promise.resolve(''),
    commandWord(['systemd-detect-virt', '--container']),
    readText('/etc/os-release').then((t) => /^PRETTY_NAME="?([^"\n]*)"?/m.exec(t)?.[1] ?? 'unknown'),
    readText('/proc/meminfo'),
    commandWord(['git', '-C', packageRoot, 'rev-parse', '--short', 'HEAD']),
  ])
  return {
    kernel: release(),
    os,
    hostname: hostname(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    cpuCount: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    virtualization: isVm ? 'vm' : 'bare-metal',
    hypervisor,
    container: container === 'none' ? '' : container,
    memoryGiB: Math.round(Number(/^MemTotal:\s*(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024 / 1024),
    tools: Object.fromEntries(host.tools.filter((t) => t.available).map((t) => [t.tool, t.version])),
    cnibenchVersion: version,
    gitCommit: git,
    node: process.version,
    clockTicksPerSecond: 100,
  }
}

/**
 * The kernel names the hypervisor at boot ("Hypervisor detected: KVM"), but the boot messages can have scrolled out of
 * the ring buffer; systemd-detect-virt always answers but misnames newer hypervisors. Say which one answered.
 */
async function detectHypervisor(): Promise<string> {
  const dmesg = await run(['dmesg'], { allowFailure: true }).catch(() => undefined)
  const fromKernel = /Hypervisor detected: (\S+)/.exec(dmesg?.stdout ?? '')?.[1]
  if (fromKernel) return `${fromKernel.toLowerCase()} (kernel)`
  const fromSystemd = await commandWord(['systemd-detect-virt', '--vm'])
  return fromSystemd && fromSystemd !== 'none' ? `${fromSystemd} (systemd-detect-virt)` : 'unknown'
}

async function commandWord(argv: string[]): Promise<string> {
  try {
    return (await run(argv, { allowFailure: true, timeoutMs: 3000 })).stdout.trim()
  } catch {
    return ''
  }
}

async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '')
}
