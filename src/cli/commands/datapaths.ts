/** `cnibench datapaths [--json]`: every datapath profile, what the real plugin does, its path, needs, and state here. */
import type { Command } from 'commander'
import { datapaths } from '../../lab/datapaths/index.js'
import { factsOf, requirementsOf, resolveOptions, type Datapath, type DatapathOptions } from '../../lab/datapath.js'
import { availabilityOf, probeHost } from '../../system/doctor.js'
import { mark, print, printJson } from '../output.js'

export function registerDatapaths(program: Command): void {
  program
    .command('datapaths')
    .description('list every datapath: what the plugin does, the packet path, requirements, and whether it runs here')
    .option('--json', 'machine-readable output: [{name, available, reason, ...}]')
    .action(async (opts: { json?: boolean }) => {
      const host = await probeHost()
      const list = Object.values(datapaths).map((d) => ({ ...describe(d, resolveOptions(d, {}, host)), ...availabilityOf(d, host) }))
      if (opts.json) return printJson(list)
      for (const d of list) {
        print(`${mark(d.available)} ${d.name}: ${d.summary}`)
        print(`    plugin: ${d.plugin}`)
        print(`    path:   ${d.packetPath}`)
        print(`    here:   ${d.implementation}; pod MTU ${d.podMtuAt1500} over a 1500 underlay; encapsulation ${d.encapsulation}`)
        print(`    needs:  ${d.requires.join(', ') || 'nothing beyond root'}`)
        for (const [key, o] of Object.entries(d.options)) print(`    --opt ${key}=${o.choices.join('|')} (default ${o.default}${d.resolvedOptions[key] !== o.default ? `, here ${d.resolvedOptions[key]}` : ''}): ${o.describe}`)
        if (!d.available) print(`    cannot run here: ${d.reason}; fix: ${d.fix}`)
        print()
      }
    })
}

function describe(d: Datapath, options: DatapathOptions) {
  const facts = factsOf(d, options)
  return {
    name: d.name,
    summary: d.summary,
    plugin: d.plugin,
    packetPath: d.packetPath,
    addressing: d.addressing,
    podMtuAt1500: d.podMtu(1500, options),
    encapsulation: facts.encapsulation,
    implementation: facts.implementation,
    options: d.options ?? {},
    resolvedOptions: options,
    requires: requirementsOf(d, options).map((r) => (r.kind === 'feature' ? `kernel:${r.feature}` : r.kind === 'tool' ? `tool:${r.tool}` : `built:${r.what}`)),
  }
}
