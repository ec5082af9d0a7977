/** Advice for a terminal: per scenario, the ranking with each place's reasons, what was excluded and why. Pure. */
import type { Advice, Reason } from '../advice/advise.js'
import { signedPercent } from './format.js'

export function adviceText(advice: Advice): string {
  const out: string[] = []
  for (const s of advice.scenarios) {
    out.push(`${s.title} [${s.id}]`, `  ${s.summary}`)
    for (const r of s.ranking) {
      out.push(`  ${r.rank}. ${r.datapath} (${r.plugin}) weighted overhead ${signedPercent(r.score)}${r.tiedWith ? `, tied with ${r.tiedWith}` : ''}`)
      for (const reason of r.reasons) out.push(`       - ${reasonText(reason)}`)
    }
    for (const e of s.excluded) out.push(`  not eligible: ${e.datapath}: ${e.reasons.map(reasonText).join('; ')}`)
    for (const n of s.notShown) out.push(`  not shown by this run: ${n}`)
    out.push('')
  }
  out.push(`Overheads are against ${advice.baseline} in the same run; weights and requirements: data/scenarios.json; facts and their sources: data/plugins.json.`)
  return out.join('\n') + '\n'
}

function reasonText(r: Reason): string {
  if (r.rests.kind === 'measured') return `${r.text} [measured]`
  const source = r.rests.source
  return `${r.text} [fact${source ? `: ${source.title}${source.url ? ` ${source.url}` : ''}` : ', no public source'}]`
}
