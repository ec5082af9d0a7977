/** `k8s plan` output: the manifests as multi-document YAML, then the test plan, for a person to read before a run. */
import { stringify } from 'yaml'
import type { ClusterManifests } from './manifests.js'
import type { ClusterCell } from './plan.js'

export function manifestsYaml(m: ClusterManifests): string {
  return [m.namespace, ...m.pods, m.service].map((o) => stringify(o, { lineWidth: 0 })).join('---\n')
}

export function planText(cells: ClusterCell[]): string {
  const paths = [...new Map(cells.map((c) => [`${c.path.datapath}/${c.path.placement}`, c.path])).values()]
  const lines = paths.map((p) => {
    const mine = cells.filter((c) => c.path === p)
    const tests = [...new Set(mine.map((c) => `${c.test} ${c.size} B${c.parallel > 1 ? ` ×${c.parallel}` : ''}`))].join(', ')
    const target = p.viaService ? 'Service server (ClusterIP)' : p.server
    return `  ${p.datapath.padEnd(11)} ${p.placement.padEnd(10)} ${p.client} → ${target}: ${p.what}\n      ${tests}`
  })
  return [`# test plan: ${cells.length} cells (each measured in interleaved rounds, the host pair as the baseline)`, ...lines.map((l) => l.replace(/^/gm, '# '))].join('\n') + '\n'
}
