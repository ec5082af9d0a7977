/** The dashboard's own pages (the run and compare pages are the HTML report itself). Pure: data in, HTML out. */
import type { Advice } from '../advice/advise.js'
import { machineOf } from '../report/format.js'
import { escapeXml as esc } from '../report/html-escape.js'
import type { RunListEntry } from '../report/run-list.js'
import { scenarioCard, STYLE } from '../report/renderers/html.js'

function shell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body><main>${body}</main></body></html>\n`
}

export function listPage(dbPath: string, runs: RunListEntry[]): string {
  const rows = [...runs].reverse().map((r) => `<tr>
<td><input type="checkbox" name="run" value="${esc(r.id)}" aria-label="compare ${esc(r.id)}"></td>
<td><a href="/runs/${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.createdAt.slice(0, 19).replace('T', ' '))}</td><td>${esc(r.status)}</td>
<td class="num">${r.cells}</td><td class="num">${r.samples}</td><td>${esc(machineOf(r.environment))}</td><td>${esc(r.label ?? '')}</td>
<td class="small">${esc(r.datapaths.join(', '))}</td>
<td class="small"><a href="/runs/${esc(r.id)}/advice">advice</a> · <a href="/runs/${esc(r.id)}/export.json">json</a> · <a href="/runs/${esc(r.id)}/export.csv">csv</a> · <a href="/runs/${esc(r.id)}/export.html">html</a></td></tr>`)
  const body = runs.length === 0
    ? `<p>No runs in ${esc(dbPath)} yet. Start one with <code>./cnibench run</code>.</p>`
    : `<form action="/compare" method="get"><div class="scroll"><table id="runs"><thead><tr><th>compare</th><th>run</th><th>created</th><th>status</th><th>cells</th><th>samples</th><th>machine</th><th>label</th><th>datapaths</th><th>open</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div>
<p><button type="submit" id="compare">Compare selected runs</button> <span class="muted small">the oldest selected run is the reference the others are compared with</span></p></form>`
  return shell('cnibench runs', `<header><h1>cnibench runs</h1><p class="meta">${esc(dbPath)} · read-only · JSON at <a href="/api/runs">/api/runs</a></p></header>${body}`)
}

export function advicePage(runId: string, advice: Advice, scenarios: string[]): string {
  const picker = ['all', ...scenarios].map((s) => `<a href="/runs/${esc(runId)}/advice?scenario=${esc(s)}">${esc(s)}</a>`).join(' ')
  return shell(`advice for ${runId}`, `<nav><a class="served" href="/">← all runs</a> <a class="served" href="/runs/${esc(runId)}">report</a> ${picker}</nav>
<h1>Advice for run ${esc(runId)}</h1>
<p class="note">Ranked by the weighted overhead each datapath measured against ${esc(advice.baseline)}, after each scenario's requirements are checked against the plugins' documented features. JSON: <a href="/api/runs/${esc(runId)}/advice">/api/runs/${esc(runId)}/advice</a></p>
<div class="cards">${advice.scenarios.map(scenarioCard).join('\n')}</div>`)
}
