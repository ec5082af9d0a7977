/**
 * `lab inspect`: per node, the routes the kernel holds (what every datapath ultimately programs), followed by whatever
 * the datapath itself can report (BGP sessions, BPF counters, OpenFlow flows).
 */
import { ipJson } from '../exec/netns.js'
import type { InspectSection } from './datapath.js'
import { getDatapath } from './datapaths/index.js'
import { labDir, type LabRecord } from './state.js'

interface RouteJson {
  type?: string
  dst: string
  gateway?: string
  dev?: string
  protocol?: string
  scope?: string
  flags?: string[]
}

export async function inspectLab(record: LabRecord): Promise<InspectSection[]> {
  const sections: InspectSection[] = []
  for (const node of record.plan.nodes) {
    const routes = await ipJson<RouteJson[]>(node.netns, ['route', 'show'])
    sections.push({
      node: node.name,
      title: `routes of ${node.name}`,
      headers: ['DESTINATION', 'VIA', 'DEVICE', 'PROTOCOL', 'FLAGS'],
      rows: routes.map((r) => [`${r.type && r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst}`, r.gateway ?? '', r.dev ?? '', r.protocol ?? '', (r.flags ?? []).join(',')]),
    })
  }
  const datapath = getDatapath(record.datapath)
  if (datapath.inspect) sections.push(...(await datapath.inspect(record.plan, labDir(record.name))))
  return sections
}
