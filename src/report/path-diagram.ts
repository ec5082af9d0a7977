/**
 * A traced packet path as an SVG diagram: one row per device the packet crosses, grouped by namespace (pod, node,
 * underlay), with what happens there (encapsulation, an eBPF redirect, a userspace daemon). Drawn from the hops the
 * lab traced when it was built (lab/path.ts), never from the datapath's description. Pure.
 */
import type { PacketPath, PathHop } from '../lab/path.js'
import { escapeXml } from './html-escape.js'

const ROW = 30
const LINE = 14
const NOTE_CHARS = 62
const WIDTH = 760
const colors = { pod: '#e8f0fb', node: '#eef6ee', underlay: '#f4f1e8', box: '#ffffff', border: '#5b6572', bpf: '#7b3fb0', userspace: '#d9822b', encap: '#2e7d6b' }

interface Badge {
  text: string
  color: string
}

/** Whether a hop is where packets leave the kernel for a process (a TUN device or a userspace switch). */
function isUserspaceHop(hop: PathHop): boolean {
  return hop.kind === 'tun' || /userspace|daemon|flanneld|ovs-vswitchd/i.test(hop.note ?? '')
}

function badgesOf(hop: PathHop): Badge[] {
  return [
    ...(hop.bpf && hop.bpf.length > 0 ? [{ text: 'eBPF', color: colors.bpf }] : []),
    ...(isUserspaceHop(hop) ? [{ text: 'userspace', color: colors.userspace }] : []),
    ...(/encap|decap/i.test(hop.note ?? '') ? [{ text: 'tunnel', color: colors.encap }] : []),
  ]
}

/** `id` makes the arrow marker's id unique among the diagrams of one page. */
export function pathDiagram(path: PacketPath, title: string, id: string): string {
  const hops = path.hops
  const notes = hops.map((h) => wrap([h.note, ...(h.bpf && !h.note?.startsWith('eBPF') ? [`eBPF ${h.bpf.join(', ')}`] : [])].filter(Boolean).join('; '), NOTE_CHARS))
  const heights = notes.map((n) => Math.max(ROW, 10 + n.length * LINE))
  const top = 34
  const ys = heights.reduce<number[]>((acc, h, i) => [...acc, (acc[i] ?? top) + h], [top])
  const height = (ys.at(-1) ?? top) + 14
  const parts: string[] = [`<text x="0" y="18" class="pd-title">${escapeXml(title)}${path.reachable ? '' : ' — not reachable when traced'}</text>`]
  // Namespace bands first, so boxes and arrows draw over them.
  for (const band of bands(hops)) {
    const y = ys[band.from] as number
    const h = (ys[band.to + 1] as number) - y
    const fill = band.where.startsWith('pod') ? colors.pod : band.where === 'underlay' ? colors.underlay : colors.node
    parts.push(`<rect x="0" y="${y - 2}" width="${WIDTH}" height="${h}" fill="${fill}" rx="4"/>`, `<text x="8" y="${y + 18}" class="pd-where">${escapeXml(band.where)}</text>`)
  }
  hops.forEach((hop, i) => {
    const y = ys[i] as number
    const mid = y + 13
    parts.push(`<rect x="96" y="${y + 2}" width="176" height="22" fill="${colors.box}" stroke="${colors.border}" rx="3"/>`)
    parts.push(`<text x="104" y="${y + 17}" class="pd-dev">${escapeXml(hop.device)}<tspan class="pd-kind"> ${escapeXml(hop.kind)}</tspan></text>`)
    let x = 280
    for (const b of badgesOf(hop)) {
      const w = 8 + b.text.length * 6.4
      parts.push(`<rect x="${x}" y="${y + 5}" width="${w}" height="16" rx="8" fill="${b.color}"/><text x="${x + 4}" y="${y + 17}" class="pd-badge">${b.text}</text>`)
      x += w + 4
    }
    const noteX = Math.max(x + 6, 420)
    ;(notes[i] ?? []).forEach((line, j) => parts.push(`<text x="${noteX}" y="${y + 17 + j * LINE}" class="pd-note">${escapeXml(line)}</text>`))
    if (i < hops.length - 1) {
      const next = ys[i + 1] as number
      parts.push(`<line x1="184" y1="${mid + 11}" x2="184" y2="${next + 2}" stroke="${colors.border}" marker-end="url(#pd-arrow-${id})"/>`)
    }
  })
  return [
    `<svg class="path-diagram" role="img" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<defs><marker id="pd-arrow-${id}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="${colors.border}"/></marker></defs>`,
    ...parts,
    '</svg>',
  ].join('\n')
}

/** Runs of consecutive hops in one namespace. */
function bands(hops: PathHop[]): { where: string; from: number; to: number }[] {
  const out: { where: string; from: number; to: number }[] = []
  hops.forEach((h, i) => {
    const last = out.at(-1)
    if (last && last.where === h.where) last.to = i
    else out.push({ where: h.where, from: i, to: i })
  })
  return out
}

function wrap(text: string, width: number): string[] {
  if (!text) return []
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}
