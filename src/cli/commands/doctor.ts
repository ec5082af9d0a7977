/** `cnibench doctor [--json]`: what this host can do, and for each datapath that cannot run here, why and the fix. */
import type { Command } from 'commander'
import { datapaths } from '../../lab/datapaths/index.js'
import { availabilityOf, probeHost, type HostReport } from '../../system/doctor.js'
import { describeNic, hostNics, type HostNic } from '../../system/nics.js'
import { mark, print, printJson } from '../output.js'

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('probe root, kernel features and tools; say which datapaths can run here and why not')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const host = await probeHost()
      const report = { ...host, nics: await hostNics(), datapaths: datapathStates(host) }
      if (opts.json) printJson(report)
      else printDoctor(report)
    })
}

export function datapathStates(host: HostReport) {
  return Object.values(datapaths).map((d) => ({ name: d.name, ...availabilityOf(d, host) }))
}

function printDoctor(report: HostReport & { nics: HostNic[]; datapaths: ReturnType<typeof datapathStates> }): void {
  print(`root: ${report.root ? 'yes' : 'no (labs need root: run with sudo)'}`)
  print(`kernel: ${report.kernel}`)
  print('\nkernel features (probed by trying them in a scratch namespace):')
  for (const f of report.features) print(`  ${mark(f.available)} ${f.feature}${f.available ? '' : `: ${f.reason}; fix: ${f.fix}`}`)
  print('\ntools:')
  for (const t of report.tools) print(`  ${mark(t.available)} ${t.tool} ${t.available ? t.version : `: ${t.reason}; fix: ${t.fix}`}`)
  print('\nNIC offloads:')
  const vethOn = Object.entries(report.vethOffloads).filter(([, on]) => on).map(([f]) => f)
  print(`  lab underlay (veth, --nic-offloads full): ${vethOn.length > 0 ? `${vethOn.length} offloads on, tunnel segmentation ${report.vethOffloads['tx-udp_tnl-segmentation'] ? 'included' : 'not included'}` : 'not probed (needs root)'}`)
  for (const nic of report.nics) print(`  host ${describeNic(nic, report.vethOffloads)}`)
  if (report.nics.length === 0) print('  host: no NIC with a bus device found')
  print('\ndatapaths:')
  for (const d of report.datapaths) print(`  ${mark(d.available)} ${d.name}${d.available ? '' : `: ${d.reason}; fix: ${d.fix}`}`)
}
