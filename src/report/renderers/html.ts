/**
 * The HTML report: one self-contained file (styles, charts and the little script that sorts tables are inline; no
 * request leaves the page), readable on a phone and printed. Per run: advice by scenario, findings, headline
 * overheads, a chart per test of every lab against the baseline with 95% CI whiskers, latency distributions, CPU
 * cost, sortable tables, policy and Service variants as curves against N, each lab's traced packet path, published reference figures, and the environment and method.
 * With several runs: side by side and as change against the first.
 */
import type { CellComparison } from '../../analysis/compare.js'
import type { Finding } from '../../analysis/findings.js'
import { latencyOverhead } from '../../analysis/precision.js'
import type { CellSummary, Overhead } from '../../analysis/summary.js'
import { judgedCell, type Reason, type ScenarioAdvice } from '../../advice/advise.js'
import type { Interval } from '../../analysis/stats.js'
import type { Curve } from '../../analysis/curves.js'
import { barChart, cdfChart, curveChart, type BarItem } from '../charts.js'
import { CURVE_LEGEND, countLabel, curveCounts, curveRows, curveScale, curveTitle, curveSentences } from '../curve-text.js'
import { cellLabel, figureText, precisionLabel, signedPercent, halfWidth, latencyFigure, machineOf, metricFigure, overheadText, shortTime } from '../format.js'
import { escapeXml as esc } from '../html-escape.js'
import { rowKeyOf, type CellGroup, type ReportModel, type RowInfo, type RunReport } from '../model.js'
import { pathDiagram } from '../path-diagram.js'
import { datapathsOfFamily, type ReferenceStudy } from '../reference.js'
import { groupTitle, rowLabel } from '../table.js'
import type { Renderer } from './renderer.js'

export const htmlRenderer: Renderer = {
  name: 'html',
  extension: 'html',
  mediaType: 'text/html; charset=utf-8',
  render: (model) => page(model),
}

function page(model: ReportModel): string {
  const ids = model.runs.map((r) => r.summary.run.id)
  const title = ids.length === 1 ? `cnibench report — run ${ids[0]}` : `cnibench report — runs ${ids.join(', ')}`
  const body = [
    `<header><h1>${esc(title)}</h1><p class="meta">Generated ${esc(shortTime(model.generatedAt))} UTC by cnibench ${esc(model.cnibenchVersion)}. Every figure below was measured in the run(s) named, except the section marked <em>published reference</em>.</p></header>`,
    nav(model),
    ...(model.runs.length > 1 ? [severalRuns(model)] : []),
    ...model.runs.map((r) => runSection(r, model.runs.length > 1)),
    referenceSection(model),
  ].join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cnibench ${esc(model.cnibenchVersion)}">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`
}

function nav(model: ReportModel): string {
  const links = model.runs.flatMap((r) => {
    const id = r.summary.run.id
    const prefix = model.runs.length > 1 ? `${id}: ` : ''
    const scale = r.curves.length > 0 ? [['scale', 'At scale']] : []
    return [['advice', 'Advice'], ['findings', 'Findings'], ['overheads', 'Overheads'], ...scale, ['tests', 'Per test'], ['paths', 'Packet paths'], ['environment', 'Environment & method']].map(([a, t]) => `<a href="#${id}-${a}">${esc(prefix + (t as string))}</a>`)
  })
  const served = (model.links ?? []).map((l) => `<a class="served" href="${esc(l.href)}">${esc(l.label)}</a>`)
  return `<nav>${[...served, ...(model.runs.length > 1 ? ['<a href="#change">Change vs first run</a>'] : []), ...links, '<a href="#reference">Published reference</a>'].join(' ')}</nav>`
}

function runSection(report: RunReport, several: boolean): string {
  const { run } = report.summary
  const id = run.id
  const datapaths = report.rows.filter((r) => !r.isBaseline).length
  return `<section class="run" id="run-${esc(id)}">
${several ? `<h2>Run ${esc(id)}</h2>` : ''}
<p class="lead">${datapaths} datapath lab${datapaths === 1 ? '' : 's'} against <strong>${esc(report.summary.baseline)}</strong>${report.summary.baseline === 'host' ? ' (the bare node network, measured in the same run)' : ' (measured in the same run)'}, on ${esc(machineOf(run.environment))}, kernel ${esc(String(run.environment['kernel'] ?? '?'))}. Run ${esc(run.status)}, started ${esc(shortTime(run.createdAt))}${run.label ? `, “${esc(run.label)}”` : ''}.</p>
${precisionLine(report)}
${adviceSection(report)}
${findingsSection(report)}
${overheadSection(report)}
${scaleSection(report)}
${testsSection(report)}
${pathsSection(report)}
${environmentSection(report)}
${notesSection(report)}
</section>`
}

function precisionLine(report: RunReport): string {
  if (!report.precision) return ''
  const { target, cells } = report.precision
  const met = cells.filter((c) => c.met).length
  return `<p class="${met === cells.length ? 'ok' : 'warn'}">Precision target ${precisionLabel(target)}: met by ${met} of ${cells.length} headline overheads.</p>`
}

// ── advice ────────────────────────────────────────────────────────────────────────────────────────────────────────

function adviceSection(report: RunReport): string {
  const id = report.summary.run.id
  return `<h2 id="${id}-advice">Advice by scenario</h2>
<p class="note">Ranked by the weighted overhead each datapath measured against ${esc(report.summary.baseline)} in this run, after each scenario's requirements are checked against the plugins' documented features (sources linked). Only datapaths measured in this run are ranked.</p>
<div class="cards">${report.advice.scenarios.map(scenarioCard).join('\n')}</div>`
}

export function scenarioCard(s: ScenarioAdvice): string {
  const ranked = s.ranking
    .map((r) => {
      const head = `<strong>${esc(r.datapath)}</strong> <span class="muted">${esc(r.plugin)}</span> · weighted overhead ${signedPercent(r.score)}${r.tiedWith ? ` <span class="tag">tied with ${esc(r.tiedWith)}</span>` : ''}`
      return `<li><details${r.rank === 1 ? ' open' : ''}><summary>${head}</summary><p class="muted small">${esc(r.mode)}</p><ul class="reasons">${r.reasons.map((x) => `<li>${reasonHtml(x)}</li>`).join('')}</ul></details></li>`
    })
    .join('')
  const excluded = s.excluded.length > 0 ? `<details><summary>Not eligible (${s.excluded.length})</summary><ul>${s.excluded.map((e) => `<li><strong>${esc(e.datapath)}</strong>: ${e.reasons.map(reasonHtml).join('; ')}</li>`).join('')}</ul></details>` : ''
  const notShown = s.notShown.length > 0 ? `<details><summary>What this run could not show</summary><ul>${s.notShown.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></details>` : ''
  return `<article class="card"><h3>${esc(s.title)}</h3><p>${esc(s.summary)}</p><ol>${ranked}</ol>${excluded}${notShown}<p class="muted small">Why these weights: ${esc(s.why)} (after ${esc(s.from)})</p></article>`
}

function reasonHtml(r: Reason): string {
  if (r.rests.kind === 'measured') return `${esc(r.text)} <span class="tag measured">measured</span>`
  const source = r.rests.source
  const link = source?.url ? ` <a class="src" href="${esc(source.url)}" rel="noreferrer">${esc(source.title)}</a>` : source ? ` <span class="src">${esc(source.title)}</span>` : ''
  const note = r.note ? `<details class="fact-note"><summary>the source's qualification</summary>${esc(r.note)}</details>` : ''
  return `${esc(r.text)} <span class="tag fact">fact</span>${link}${note}`
}

// ── findings ──────────────────────────────────────────────────────────────────────────────────────────────────────

function findingsSection(report: RunReport): string {
  const id = report.summary.run.id
  const order = (f: Finding) => (f.severity === 'caution' ? 0 : 1)
  const items = [...report.findings].sort((a, b) => order(a) - order(b)).map((f) => {
    const figures = f.figures.map((x) => `${esc(x.label)} ${figureText(x.value)} ${esc(x.unit)}${x.ci95 ? ` (95% CI ${figureText(x.ci95[0])}…${figureText(x.ci95[1])})` : ''}`).join('; ')
    return `<li class="finding ${f.severity}"><strong>${esc(f.title)}</strong><br>${esc(f.detail)}${figures ? `<br><span class="figures">Rests on: ${figures}</span>` : ''}</li>`
  })
  return `<h2 id="${id}-findings">Findings</h2>${items.length > 0 ? `<ul class="findings">${items.join('\n')}</ul>` : '<p>Nothing unusual to explain.</p>'}`
}

// ── overheads ─────────────────────────────────────────────────────────────────────────────────────────────────────

interface HeadlineSpec {
  test: string
  title: string
  metric: (c: CellSummary) => { value: number; ci: Interval | undefined } | undefined
  overhead: (c: CellSummary) => Overhead | undefined
  unit: string
  scale: number
}

const headlineSpecs: HeadlineSpec[] = [
  { test: 'TCP_STREAM', title: 'TCP throughput', unit: 'Gbit/s', scale: 1e9, metric: (c) => metricFigure(c, 'throughput_bps'), overhead: (c) => c.metrics['throughput_bps']?.overhead },
  { test: 'UDP_STREAM', title: 'UDP throughput (received)', unit: 'Gbit/s', scale: 1e9, metric: (c) => metricFigure(c, 'throughput_bps'), overhead: (c) => c.metrics['throughput_bps']?.overhead },
  { test: 'TCP_RR', title: 'TCP_RR median round trip', unit: 'µs', scale: 1, metric: (c) => latencyFigure(c, 'p50'), overhead: (c) => latencyOverhead(c, 'p50') },
  { test: 'UDP_RR', title: 'UDP_RR median round trip', unit: 'µs', scale: 1, metric: (c) => latencyFigure(c, 'p50'), overhead: (c) => latencyOverhead(c, 'p50') },
  { test: 'TCP_CRR', title: 'TCP_CRR connections per second', unit: 'conn/s', scale: 1, metric: (c) => metricFigure(c, 'connections_per_s'), overhead: (c) => c.metrics['connections_per_s']?.overhead },
]


function overheadSection(report: RunReport): string {
  const id = report.summary.run.id
  const charts = report.groups.flatMap((g) =>
    headlineSpecs
      .filter((s) => g.cells.some((c) => c.test === s.test))
      .map((s) => {
        const items = rowsOfGroup(report, g).filter((r) => !r.isBaseline).flatMap((r) => {
          const o = cellOf(g, r, s.test)
          const ov = o ? s.overhead(o) : undefined
          return ov ? [{ label: rowLabel(r), value: ov.value * 100, ci95: ov.ci95 ? ([ov.ci95[0] * 100, ov.ci95[1] * 100] as Interval) : undefined, kind: kindOf(r) }] : []
        })
        return items.length > 0 ? figure(barChart({ title: `${s.title}: overhead vs ${report.summary.baseline} (${groupTitle(g)})`, unit: '% overhead (positive = costs more)', items, zeroLine: true })) : ''
      }),
  )
  return `<h2 id="${id}-overheads">Overheads against ${esc(report.summary.baseline)}</h2>
<p class="note">Positive = costs more than the baseline (less throughput, more latency). Bars are the overhead of the medians; whiskers the 95% bootstrap CI. Orange bars were not measured on the plugin's usual path (see findings).</p>
${charts.join('\n')}
${overheadTable(report)}`
}

function overheadTable(report: RunReport): string {
  const rows = report.groups.flatMap((g) => g.cells).flatMap((c) => {
    const spec = headlineSpecs.find((s) => s.test === c.test)
    const figure = spec?.metric(c)
    if (!spec || !figure) return []
    const row = report.rows.find((r) => r.key === rowKeyOf(c))
    const o = spec.overhead(c)
    return [`<tr><td>${esc(row ? rowLabel(row) : c.datapath)}</td><td>${esc(c.test)}</td><td class="num" data-v="${c.size}">${c.size}</td><td>${esc(spec.title)}</td><td class="num" data-v="${figure.value / spec.scale}">${figureText(figure.value / spec.scale)} ${esc(spec.unit)}</td><td class="num" data-v="${ciHalf(figure.ci) / spec.scale}">±${figureText(ciHalf(figure.ci) / spec.scale)}</td><td class="num" data-v="${o ? o.value : ''}">${esc(o ? overheadText(o) : '—')}</td><td class="num" data-v="${c.samples}">${c.samples}</td><td class="num" data-v="${c.excluded.length}">${c.excluded.length}</td></tr>`]
  })
  return `<div class="scroll"><table class="sortable"><thead><tr><th>datapath</th><th>test</th><th>size B</th><th>figure</th><th>median</th><th>95% CI ±</th><th>vs base</th><th>n</th><th>excluded</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div><p class="note small">Click a column header to sort.</p>`
}

// ── per test ──────────────────────────────────────────────────────────────────────────────────────────────────────

function testsSection(report: RunReport): string {
  const id = report.summary.run.id
  const parts = report.groups.flatMap((g) =>
    ['TCP_STREAM', 'UDP_STREAM', 'TCP_RR', 'UDP_RR', 'TCP_CRR'].filter((t) => g.cells.some((c) => c.test === t)).map((test) => testBlock(report, g, test)),
  )
  return `<h2 id="${id}-tests">Per test</h2>\n${parts.join('\n')}`
}

function testBlock(report: RunReport, g: CellGroup, test: string): string {
  const rows = rowsOfGroup(report, g)
  const charts: string[] = []
  const bars = (title: string, unit: string, get: (c: CellSummary) => { value: number; ci: Interval | undefined } | undefined, scale = 1) => {
    const items: BarItem[] = rows.flatMap((r) => {
      const c = cellOf(g, r, test)
      const v = c ? get(c) : undefined
      return v ? [{ label: rowLabel(r), value: v.value / scale, ci95: v.ci ? ([v.ci[0] / scale, v.ci[1] / scale] as Interval) : undefined, kind: kindOf(r) }] : []
    })
    if (items.length > 0) charts.push(figure(barChart({ title, unit, items })))
  }
  if (test === 'TCP_STREAM' || test === 'UDP_STREAM') {
    bars(`${test} throughput`, 'Gbit/s (median, 95% CI)', (c) => metricFigure(c, 'throughput_bps'), 1e9)
    bars(`${test} CPU per Gbit`, 'CPU·s per Gbit (median, 95% CI)', (c) => metricFigure(c, 'cpu_s_per_gbit'))
    if (test === 'UDP_STREAM') bars('UDP_STREAM loss', '% of datagrams lost (median)', (c) => metricFigure(c, 'udp_loss_pct'))
  } else {
    if (test === 'TCP_CRR') bars('TCP_CRR connections per second', 'conn/s (median, 95% CI)', (c) => metricFigure(c, 'connections_per_s'))
    else bars(`${test} transactions per second`, 'transactions/s (median, 95% CI)', (c) => metricFigure(c, 'transactions_per_s'))
    // TCP_CRR's histogram holds whole connections (connect, request, response, close), not round trips.
    const what = test === 'TCP_CRR' ? 'connection time (connect, request, response, close)' : 'round trip'
    bars(`${test} median ${what} (P50)`, 'µs (P50, 95% CI)', (c) => latencyFigure(c, 'p50'))
    bars(`${test} P99 ${what}`, 'µs (P99, 95% CI)', (c) => latencyFigure(c, 'p99'))
    bars(`${test} CPU per transaction`, 'CPU·µs per transaction (median, 95% CI)', (c) => metricFigure(c, 'cpu_us_per_transaction'))
    const series = rows.flatMap((r) => {
      const c = cellOf(g, r, test)
      const points = c ? report.latencyCdfs[c.key] : undefined
      return points && points.length > 0 ? [{ name: rowLabel(r), points, kind: kindOf(r) }] : []
    })
    if (series.length > 0) charts.push(figure(cdfChart({ title: `${test} ${what} distribution (all kept samples pooled)`, series })))
  }
  const size = g.cells.find((c) => c.test === test)?.size
  return `<h3>${esc(test)}${size !== undefined ? ` · ${size} B` : ''} <span class="muted">(${esc(groupTitle(g))})</span></h3>\n${charts.join('\n')}`
}

// ── packet paths ──────────────────────────────────────────────────────────────────────────────────────────────────

function pathsSection(report: RunReport): string {
  const id = report.summary.run.id
  const drawn = report.rows.map((row, i) => {
    const stored = report.paths.filter((p) => p.row === row.key)
    const caveat = row.caveat ? `<p class="warn small">${esc(row.datapath)} ran as ${esc(row.implementation ?? '')} [${esc(row.caveat)}], not the plugin's usual path.</p>` : ''
    if (stored.length === 0) return `<figure class="path" data-datapath="${esc(row.datapath)}"><figcaption>${esc(rowLabel(row))}</figcaption><p class="muted">No traced path stored with this run (runs stored before cnibench kept paths have none; re-run to draw it).</p>${caveat}</figure>`
    return stored
      .map((p, j) => {
        const title = `${rowLabel(row)} · ${p.path.placement}`
        const body = 'error' in p.path ? `<p class="warn">Tracing failed when the lab was built: ${esc(p.path.error)}</p>` : pathDiagram(p.path, `${p.path.from.pod} (${p.path.from.ip}) → ${p.path.to.pod} (${p.path.to.ip})`, `${id}-${i}-${j}`)
        return `<figure class="path" data-datapath="${esc(row.datapath)}"><figcaption>${esc(title)}</figcaption>${body}${caveat}</figure>`
      })
      .join('\n')
  })
  return `<h2 id="${id}-paths">Packet paths</h2>
<p class="note">As traced in each lab when it was built: the kernel's own route, neighbour and bridge tables, attached eBPF programs and the datapath's software switch, hop by hop. <span class="tag" style="background:#7b3fb0">eBPF</span> a tc program acts here; <span class="tag" style="background:#d9822b">userspace</span> packets leave the kernel for a daemon; <span class="tag" style="background:#2e7d6b">tunnel</span> encapsulation or decapsulation.</p>
${drawn.join('\n')}`
}

// ── environment, method, notes ────────────────────────────────────────────────────────────────────────────────────

function environmentSection(report: RunReport): string {
  const { run } = report.summary
  const env = run.environment
  const config = run.config as Record<string, unknown>
  const engines = [...new Map(report.summary.cells.map((c) => [c.test, `${c.engine} ${c.engineVersion}`]))]
  const mtus = [...new Map(report.summary.cells.map((c) => [c.datapath, `${String(c.context['podMtu'] ?? '?')} / ${String(c.context['underlayMtu'] ?? '?')}`]))]
  const nic = report.summary.testbeds.flatMap((t) => {
    const o = t.facts['nicOffloads'] as { profile?: string; devices?: Record<string, Record<string, boolean>> } | null | undefined
    if (!o?.devices) return []
    const first = Object.values(o.devices)[0] ?? {}
    const on = Object.entries(first).filter(([, v]) => v).map(([k]) => k)
    return [[t.key, `${o.profile ?? '?'}: ${on.length} features on (${on.slice(0, 6).join(', ')}${on.length > 6 ? ', …' : ''})`]]
  })
  const method = report.summary.cells.flatMap((c) => Object.values(c.metrics).map((x) => x.overhead?.method)).find(Boolean)
  const kv = (pairs: [string, unknown][]) => `<table class="kv">${pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`).join('')}</table>`
  return `<h2 id="${run.id}-environment">Environment &amp; method</h2>
<div class="two">
<div><h3>Machine</h3>${kv([
    ['machine', machineOf(env)],
    ['kernel', env['kernel']],
    ['OS', env['os']],
    ['hypervisor', env['hypervisor']],
    ['virtualization', env['virtualization']],
    ['CPU governor', env['cpuGovernor']],
    ['cnibench', run.cnibenchVersion],
    ['tools', env['tools']],
  ])}</div>
<div><h3>Method</h3>${kv([
    ['engines', engines.map(([t, e]) => `${t}: ${e}`).join('; ')],
    ['samples per cell (least)', config['samples']],
    ['precision target', config['precision']],
    ['measured seconds per sample', config['durationS']],
    ['warm-up seconds', config['warmupS']],
    ['pinning', config['pin']],
    ['seed', config['seed']],
    ['overheads', method],
    ['exclusion rule', (config['disturbances'] as { name?: string } | undefined)?.name],
  ])}</div>
</div>
<h3>MTUs (pod / underlay)</h3>${kv(mtus)}
${nic.length > 0 ? `<h3>NIC offloads, read back from the nodes</h3>${kv(nic as [string, unknown][])}` : '<p class="muted">NIC offloads were not recorded with this run.</p>'}`
}

function notesSection(report: RunReport): string {
  const { run } = report.summary
  const skipped = run.notes.skipped ?? []
  const warnings = [...(run.notes.warnings ?? []), ...report.summary.warnings]
  if (skipped.length === 0 && warnings.length === 0) return ''
  return `<h3>Notes</h3><ul class="notes">${skipped.map((s) => `<li>Not measured: <strong>${esc(s.datapath)}</strong>: ${esc(s.reason)}</li>`).join('')}${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
}

// ── several runs ──────────────────────────────────────────────────────────────────────────────────────────────────

function severalRuns(model: ReportModel): string {
  const [first] = model.runs
  if (!first) return ''
  const side = sideBySide(model)
  const byOther = model.runs.slice(1).map((o) => {
    const rows = model.changes.filter((c) => c.other === o.summary.run.id)
    const items = rows.filter((c) => c.rate).map((c) => ({ label: cellLabel(c), value: (c.rate as { value: number }).value * 100, ci95: c.rate?.ci95 ? ([c.rate.ci95[0] * 100, c.rate.ci95[1] * 100] as Interval) : undefined, kind: 'datapath' as const }))
    const chart = items.length > 0 ? figure(barChart({ title: `Rate change: ${o.summary.run.id} against ${first.summary.run.id}`, unit: '% change of the rate (+ = faster than the first run; 95% CI)', items, zeroLine: true })) : ''
    return `<h3>${esc(o.summary.run.id)} against ${esc(first.summary.run.id)}</h3>${chart}${changeTable(rows)}`
  })
  return `<section id="change"><h2>Change against the first run</h2><p class="note">Each later run against ${esc(first.summary.run.id)}, cell by cell (relative change of the medians; latency from pooled percentiles), with 95% bootstrap CIs. “Measured differently” names NIC-profile or engine differences that are part of the change.</p>${side}${byOther.join('\n')}</section>`
}

function sideBySide(model: ReportModel): string {
  const keys = [...new Set(model.runs.flatMap((r) => r.summary.cells.map((c) => c.key)))]
  const head = `<tr><th>cell</th>${model.runs.map((r) => `<th>${esc(r.summary.run.id)}</th>`).join('')}</tr>`
  const body = keys.map((key) => {
    const cells = model.runs.map((r) => r.summary.cells.find((c) => c.key === key))
    const any = cells.find(Boolean) as CellSummary
    const spec = headlineSpecs.find((s) => s.test === any.test)
    return `<tr><td>${esc(cellLabel(any))}</td>${cells.map((c) => {
      const f = c && spec ? spec.metric(c) : undefined
      return f && spec ? `<td class="num" data-v="${f.value / spec.scale}">${figureText(f.value / spec.scale)} ${esc(spec.unit)} ±${figureText(ciHalf(f.ci) / spec.scale)}</td>` : '<td>—</td>'
    }).join('')}</tr>`
  })
  return `<h3>Side by side</h3><div class="scroll"><table class="sortable"><thead>${head}</thead><tbody>${body.join('\n')}</tbody></table></div>`
}

function changeTable(rows: CellComparison[]): string {
  const body = rows.map((c) => `<tr><td>${esc(cellLabel(c))}</td><td class="num" data-v="${c.rate?.value ?? ''}">${esc(overheadText(c.rate))}</td><td class="num" data-v="${c.latencyP50?.value ?? ''}">${esc(overheadText(c.latencyP50))}</td><td class="num" data-v="${c.latencyP99?.value ?? ''}">${esc(overheadText(c.latencyP99))}</td><td class="num" data-v="${c.cpu?.value ?? ''}">${esc(overheadText(c.cpu))}</td><td>${esc(c.differences.join('; ') || '—')}</td></tr>`)
  return `<div class="scroll"><table class="sortable"><thead><tr><th>cell</th><th>rate (+ faster)</th><th>P50 (+ slower)</th><th>P99 (+ slower)</th><th>CPU/unit (+ costlier)</th><th>measured differently</th></tr></thead><tbody>${body.join('\n')}</tbody></table></div>`
}

// ── published reference ───────────────────────────────────────────────────────────────────────────────────────────

function referenceSection(model: ReportModel): string {
  const measured = new Set(model.runs.flatMap((r) => r.summary.cells.map((c) => c.datapath)))
  return `<section id="reference" class="reference"><h2>Published reference <span class="tag">not your measurements</span></h2>
<p class="note">Results other people published, with their conditions, for orientation only: different hardware, MTU 9000, real clusters. They are never part of this report's statistics. Rows whose plugin this run measured are highlighted, with the datapaths that model them.</p>
${model.reference.map((s) => referenceTable(s, measured, model)).join('\n')}</section>`
}

function referenceTable(study: ReferenceStudy, measured: Set<string>, model: ReportModel): string {
  // Your figure beside a published row only where cnibench has that mode: not beside encrypted, eBPF-dataplane or
  // VPP rows, which no lab datapath reproduces.
  const first = model.runs[0]?.summary
  const yours = (row: ReferenceStudy['rows'][number]) => {
    if (!first || !isPlainMode(row.config)) return ''
    return datapathsOfFamily(row.family)
      .filter((d) => measured.has(d))
      .map((d) => {
        const o = judgedCell(first, d, 'TCP_STREAM')?.metrics['throughput_bps']?.overhead
        return `${d}${o ? ` ${overheadText({ value: -o.value, ci95: o.ci95 ? [-o.ci95[1], -o.ci95[0]] : undefined })}` : ''}`
      })
      .join(', ')
  }
  const rows = study.rows.map((r) => {
    const mine = yours(r)
    return `<tr class="${mine ? 'match' : ''}"><td>${esc(r.config)}</td><td class="num" data-v="${r.throughput}">${figureText(r.throughput)}${r.throughputSd !== undefined ? ` ±${figureText(r.throughputSd)} sd` : ''}</td>${study.hasBareMetal ? `<td class="num" data-v="${r.vsBareMetalPct ?? ''}">${r.vsBareMetalPct !== undefined ? `${r.vsBareMetalPct > 0 ? '+' : ''}${figureText(r.vsBareMetalPct)}%` : '—'}</td>` : `<td class="num">${r.mtu ?? '—'}</td>`}<td class="num">${r.cpuServer !== undefined ? figureText(r.cpuServer) : '—'}</td><td class="num">${r.runs}</td><td>${esc(mine || '—')}</td></tr>`
  })
  return `<h3><a href="${esc(study.url)}" rel="noreferrer">${esc(study.title)}</a></h3>
<p class="small">${esc(study.conditions)}</p>
<div class="scroll"><table class="sortable"><thead><tr><th>configuration</th><th>${esc(study.throughputLabel)}, ${esc(study.throughputUnit)}</th><th>${study.hasBareMetal ? 'vs bare metal' : 'pod MTU'}</th><th>server CPU, ${esc(study.cpuUnit)}</th><th>runs</th><th>your run: TCP throughput vs base</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`
}

/** A published configuration in a mode cnibench has a lab datapath for (no encryption, eBPF dataplane or VPP). */
function isPlainMode(config: string): boolean {
  return !/(^|[-.])(wg|ipsec|encryption|ebpf|vpp|hubble|nokproxy|nohubble)([-.]|$)/.test(config)
}

// ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────────────

// ── policy and Services at scale ───────────────────────────────────────────────────────────────────────────────────

function scaleSection(report: RunReport): string {
  if (report.curves.length === 0) return ''
  const id = report.summary.run.id
  const loads = report.summary.testbeds.flatMap((t) => (['policy', 'services'] as const).flatMap((axis) => {
    const f = t.facts[axis] as { where?: string; loadSeconds?: number } | undefined
    return f ? [`<tr><td>${esc(t.key)}</td><td>${esc(f.where ?? '')}</td><td data-v="${f.loadSeconds ?? ''}">${f.loadSeconds === undefined ? '—' : f.loadSeconds.toFixed(2)}</td></tr>`] : []
  }))
  return `<h2 id="${id}-scale">Policy and Services at scale</h2>
<p class="note">Each implementation at each N: ${esc(CURVE_LEGEND)}. N = 0 is the point every line shares. Policy rules never match the measured flow; the measured Service is the last of N. Two implementations are told apart only where their 95% CIs do not overlap, and an order is claimed only where it holds to the largest N.</p>
${report.curves.map(curveBlock).join('\n')}
<details><summary>What was loaded, where, and how long loading took</summary>
<table class="sortable"><thead><tr><th>lab</th><th>where</th><th>load (s)</th></tr></thead><tbody>${loads.join('')}</tbody></table></details>`
}

function curveBlock(curve: Curve): string {
  const counts = curveCounts(curve)
  const { scale } = curveScale(curve)
  const series = curve.lines.map((l) => {
    const at = (n: number) => l.points.find((p) => p.n === n)
    return { name: l.implementation, values: counts.map((n) => (at(n)?.value ?? Number.NaN) / scale), ci95: counts.map((n) => at(n)?.ci95?.map((v) => v / scale) as [number, number] | undefined) }
  })
  const unit = curve.metric === 'throughput_bps' ? 'Gbit/s' : curve.unit
  const sentences = curveSentences(curve)
  return `<h3>${esc(curveTitle(curve))}</h3>
${figure(curveChart({ title: '', unit, counts: counts.map(countLabel), xName: curve.axis === 'policy' ? 'rules (N)' : 'Services (N)', series }))}
<table class="sortable"><thead><tr><th>implementation</th>${counts.map((n) => `<th>${esc(countLabel(n))}</th>`).join('')}</tr></thead><tbody>${curveRows(curve).map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>
<ul>${sentences.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`
}

function rowsOfGroup(report: RunReport, g: CellGroup): RowInfo[] {
  return report.rows.filter((r) => g.cells.some((c) => rowKeyOf(c) === r.key))
}

function cellOf(g: CellGroup, row: RowInfo, test: string): CellSummary | undefined {
  return g.cells.find((c) => rowKeyOf(c) === row.key && c.test === test)
}

function kindOf(row: RowInfo): BarItem['kind'] {
  return row.isBaseline ? 'baseline' : row.caveat ? 'caveat' : 'datapath'
}

function figure(svg: string): string {
  return `<figure class="chart-box">${svg}</figure>`
}

function ciHalf(ci: Interval | undefined): number {
  return halfWidth(ci) ?? Number.NaN
}

export const STYLE = `
:root{--fg:#1d2430;--muted:#5b6572;--line:#e3e6ea;--accent:#3b6fb6;--warn:#b35c00;--ok:#2e7d32;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.6em 0 .4em;padding-bottom:.2em;border-bottom:2px solid var(--line);scroll-margin-top:48px}
h3{font-size:1.05rem;margin:1.2em 0 .4em}
nav{position:sticky;top:0;background:#f7f8fa;border:1px solid var(--line);border-radius:6px;padding:6px 8px;font-size:.85rem;z-index:1;overflow-x:auto;white-space:nowrap}
nav a{margin-right:10px;color:var(--accent);text-decoration:none}
nav a.served{font-weight:600}
.meta,.muted{color:var(--muted)}
.small{font-size:.85rem}
.note{color:var(--muted);font-size:.9rem}
.lead{font-size:1.05rem}
.ok{color:var(--ok)} .warn{color:var(--warn)}
.tag{display:inline-block;font-size:.72rem;padding:0 6px;border-radius:8px;background:#5b6572;color:#fff;vertical-align:middle}
.tag.measured{background:#3b6fb6}.tag.fact{background:#2e7d6b}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(300px,100%),1fr));gap:12px}.card{min-width:0;overflow-wrap:anywhere}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;break-inside:avoid}
.card h3{margin-top:0}
.card ol{padding-left:1.2em}
.reasons{font-size:.85rem;padding-left:1em;margin:.2em 0 .6em}
.src{font-size:.8rem}
.findings{padding-left:1em}
.finding{margin:.5em 0}
.finding.caution{border-left:4px solid var(--warn);padding-left:8px;list-style:none}
.finding.info{border-left:4px solid var(--accent);padding-left:8px;list-style:none}
.figures{font-size:.85rem;color:var(--muted)}
figure{margin:12px 0;break-inside:avoid}
.chart-box{overflow-x:auto}.chart-box svg.chart,svg.path-diagram{width:100%;height:auto;display:block}.chart-box svg.chart{min-width:520px}
.fact-note{font-size:.8rem;color:var(--muted);margin:0}
figcaption{font-weight:600;margin-bottom:4px}
.pd-title{font:600 13px system-ui,sans-serif}.pd-where{font:600 12px system-ui,sans-serif;fill:#333}.pd-dev{font:12px ui-monospace,monospace}.pd-kind{fill:#5b6572}.pd-badge{font:600 10px system-ui,sans-serif;fill:#fff}.pd-note{font:11px system-ui,sans-serif;fill:#333}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none;background:#f7f8fa}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
table.kv{table-layout:fixed}table.kv th{width:34%;background:#fafbfc;font-weight:600}table.kv td,table.kv th{overflow-wrap:anywhere}
tr.match td{background:#eef4fc}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(300px,100%),1fr));gap:12px}.two>div{min-width:0}
.reference{border-top:3px dashed var(--line);margin-top:2em}
details{margin:.3em 0;font-size:.9rem}
@media (max-width:600px){body{font-size:14px}main{padding:8px}nav{position:static}}
@media print{nav{display:none}main{max-width:none}a{color:inherit;text-decoration:none}h2{break-after:avoid}.card,figure,tr{break-inside:avoid}.scroll,.chart-box{overflow:visible}.chart-box svg.chart{min-width:0}}
`

/**
 * Sort a table by the clicked column (numbers by their data-v value, text by its words, missing values last), and
 * open every collapsed section before printing. No libraries, no requests.
 */
const SORT_SCRIPT = `
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th,index){
    th.addEventListener('click',function(){
      var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      var asc=th.getAttribute('aria-sort')!=='ascending';
      table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var key=function(r){var c=r.cells[index];if(!c)return null;var v=c.getAttribute('data-v');if(v!==null)return v!==''&&!isNaN(+v)?+v:null;var t=c.textContent.trim();return t===''||t==='\u2014'?null:t};
      rows.sort(function(a,b){var x=key(a),y=key(b);if(x===null||y===null)return x===y?0:x===null?1:-1;var r=typeof x==='number'&&typeof y==='number'?x-y:String(x).localeCompare(String(y));return asc?r:-r});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
});
`
