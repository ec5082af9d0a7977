/**
 * Every renderer on the report model of a real stored run (the main job on a 2-vCPU VM): each output shows every
 * datapath, the same figure reads the same in each, and the several-runs view compares cell for cell.
 */
import { describe, expect, it } from 'vitest'
import { renderers } from '../../src/report/renderers/index.js'
import { rowLabel } from '../../src/report/table.js'
import { comparisonText } from '../../src/report/renderers/terminal.js'
import { FIXTURE_RUN, fixtureModel } from '../helpers/fixture-run.js'

const model = fixtureModel()
const report = model.runs[0]!
const datapaths = [...new Set(report.summary.cells.map((c) => c.datapath))]

describe('report model', () => {
  it('holds numbers, rows in order and a CDF per request/response cell', () => {
    expect(datapaths).toHaveLength(14)
    expect(report.rows[0]).toMatchObject({ datapath: 'host', isBaseline: true })
    expect(report.groups).toHaveLength(1)
    const rr = report.summary.cells.find((c) => c.datapath === 'calico-bgp' && c.test === 'TCP_RR')!
    const cdf = report.latencyCdfs[rr.key]!
    expect(cdf.length).toBeGreaterThan(10)
    expect(cdf.at(-1)![1]).toBe(1)
    // The CDF crosses one half at the pooled P50 (to within a bucket, 1%).
    const half = cdf.find(([, f]) => f >= 0.5)![0]
    expect(Math.abs(half / rr.latency!.p50 - 1)).toBeLessThan(0.011)
    expect(report.samples.filter((s) => s.excluded !== null).length).toBe(report.summary.cells.reduce((n, c) => n + c.excluded.length, 0))
  })
})

describe('renderers', () => {
  it('terminal: a row per datapath, the baseline first, overheads with CIs', () => {
    const text = renderers.terminal.render(model)
    for (const dp of datapaths) expect(text).toContain(dp)
    expect(text).toMatch(/^host \(base\)/m)
    expect(text).toMatch(/flannel-vxlan\s.*[+−]\d+% ±\d+%/)
  })
  it('json: the stable shape, every cell with overheads', () => {
    const json = JSON.parse(renderers.json.render(model)) as { runId: string; cells: { datapath: string; metrics: Record<string, { overhead: unknown }> }[] }
    expect(json.runId).toBe(FIXTURE_RUN)
    expect(json.cells).toHaveLength(42)
    const stream = json.cells.find((c) => c.datapath === 'calico-ipip' && c.metrics['throughput_bps'])!
    expect(stream.metrics['throughput_bps']!.overhead).toMatchObject({ value: expect.any(Number), n: { baseline: expect.any(Number), datapath: expect.any(Number) } })
  })
  it('csv: one line per sample metric, the header once', () => {
    const lines = renderers.csv.render(model).trimEnd().split('\n')
    const metricLines = report.samples.reduce((n, s) => n + Object.keys(s.metrics).length + (s.error ? 1 : 0), 0)
    expect(lines[0]).toMatch(/^run_id,datapath,/)
    expect(lines).toHaveLength(metricLines + 1)
    for (const dp of datapaths) expect(lines.some((l) => l.startsWith(`${FIXTURE_RUN},${dp},`))).toBe(true)
  })
  it('md: the environment and a table row per datapath', () => {
    const md = renderers.md.render(model)
    expect(md).toContain(`# cnibench run ${FIXTURE_RUN}`)
    for (const dp of datapaths) expect(md).toMatch(new RegExp(`^\\| ${dp}[ \\[(]`, 'm'))
  })
  it('several runs: a run against itself changes by nothing', { timeout: 60_000 }, () => {
    const twice = fixtureModel(2)
    expect(twice.changes).toHaveLength(42)
    for (const c of twice.changes) expect(c.rate?.value).toBeCloseTo(0, 10)
    expect(comparisonText(twice)).toContain(`${FIXTURE_RUN} against ${FIXTURE_RUN}`)
    const json = JSON.parse(renderers.json.render(twice)) as { runs: unknown[]; changes: unknown[] }
    expect(json.runs).toHaveLength(2)
  })
})

describe('html renderer', () => {
  const html = renderers.html.render(model)
  it('is one self-contained file: no script, style, font or image is fetched', () => {
    expect(html).not.toMatch(/<script[^>]+src=/i)
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/i)
    expect(html).not.toMatch(/<img[^>]+src=/i)
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i)
    expect(html).not.toMatch(/@import/i)
  })
  it('charts every datapath with whiskers, and names each one in the packet-path section', () => {
    for (const row of report.rows) expect(html).toContain(`data-datapath="${row.datapath}"`)
    const charts = html.match(/<svg class="chart"/g) ?? []
    expect(charts.length).toBeGreaterThanOrEqual(9)
    for (const row of report.rows) expect(html).toContain(`>${rowLabel(row)}</text>`)
    // A stored run without traced paths says so instead of drawing something it did not trace.
    expect(html).toContain('No traced path stored with this run')
  })
  it('shows the published reference as such, and advice with reasons', () => {
    expect(html).toContain('Published reference')
    expect(html).toContain('not your measurements')
    expect(html).toContain('Ducastel 2024 (40 GbE)')
    expect(html).toMatch(/Latency-critical finance/)
    expect(html).toMatch(/class="tag measured"/)
  })
  it('several runs: the change section', { timeout: 60_000 }, () => {
    const twice = fixtureModel(2)
    const text = renderers.html.render(twice)
    expect(text).toContain('Change against the first run')
    expect(text).toContain('Side by side')
  })
})
