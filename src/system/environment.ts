/**
 * The environment fingerprint stored with every run, so lab runs, bare-metal runs, VM runs and cluster runs can be
 * told apart and compared: kernel, OS, CPU model and count, bare metal or which hypervisor, tool versions, cnibench
 * version and git commit. Read from /proc, /sys and the tools themselves.
 */
import { readFile } from 'node:fs/promises'
import { hostname, release } from 'node:os'
import { run } from '../exec/run.js'
import { version } from '../version.js'
import type { OffloadState } from '../lab/offloads.js'
import { packageRoot, toolBinaryPath } from './paths.js'
import type { HostReport } from './doctor.js'
import { hostNics, type HostNic } from './nics.js'

export interface Environment {
  kernel: string
  os: string
  hostname: string
  cpuModel: string
  cpuCount: number
  /** 'bare-metal' | 'vm' (from the CPUID hypervisor flag). */
  virtualization: string
  /** Which hypervisor, and who said so: "kvm (cpuid KVMKVMKVM)", "kvm (systemd-detect-virt)". Stable run to run. */
  hypervisor: string
  /** Offloads a lab's underlay device (veth) offers here: what `--nic-offloads full` means on this machine. */
  labUnderlayOffloads: OffloadState
  /** The host's own NICs (read only) and the NIC profile each resembles. */
  nics: HostNic[]
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
  const [hypervisor, container, os, meminfo, git, nics] = await Promise.all([
    isVm ? detectHypervisor() : Promise.resolve(''),
    commandWord(['systemd-detect-virt', '--container']),
    readText('/etc/os-release').then((t) => /^PRETTY_NAME="?([^"\n]*)"?/m.exec(t)?.[1] ?? 'unknown'),
    readText('/proc/meminfo'),
    commandWord(['git', '-C', packageRoot, 'rev-parse', '--short', 'HEAD']),
    hostNics(),
  ])
  return {
    kernel: release(),
    os,
    hostname: hostname(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    cpuCount: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    virtualization: isVm ? 'vm' : 'bare-metal',
    hypervisor,
    labUnderlayOffloads: host.vethOffloads,
    nics,
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
 * The hypervisor's CPUID signature (tools/cnb-cpuid.c) answers the same at every call; the kernel's boot message
 * ("Hypervisor detected: ...") scrolls out of the ring buffer, which once made one VM read "pvm (kernel)" in one run
 * and "bhyve (systemd-detect-virt)" an hour later. systemd-detect-virt is the fallback where cnb-cpuid was not built;
 * it misnames some newer hypervisors but, too, answers the same every time.
 */
async function detectHypervisor(): Promise<string> {
  const cpuid = await run([toolBinaryPath('cnb-cpuid')], { allowFailure: true }).catch(() => undefined)
  const signatures = cpuid?.code === 0 ? ((JSON.parse(cpuid.stdout) as { signatures: string[] }).signatures ?? []) : []
  if (signatures.length > 0) return signatures.map((s) => `${HYPERVISORS[s] ?? s.trim().toLowerCase()} (cpuid ${s.trim()})`).join(', ')
  const fromSystemd = await commandWord(['systemd-detect-virt', '--vm'])
  return fromSystemd && fromSystemd !== 'none' ? `${fromSystemd} (systemd-detect-virt)` : 'unknown'
}

/** CPUID 0x40000000 vendor signatures, as hypervisors publish them. */
const HYPERVISORS: Record<string, string> = {
  KVMKVMKVM: 'kvm',
  'Linux KVM Hv': 'kvm',
  'Microsoft Hv': 'hyper-v',
  VMwareVMware: 'vmware',
  XenVMMXenVMM: 'xen',
  'bhyve bhyve ': 'bhyve',
  TCGTCGTCGTCG: 'qemu-tcg',
  ACRNACRNACRN: 'acrn',
  VBoxVBoxVBox: 'virtualbox',
  ' lrpepyh  vr': 'parallels',
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
