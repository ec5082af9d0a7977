/**
 * Charts as SVG strings, drawn server-side by Apache ECharts' SSR renderer: horizontal bars with 95% CI whiskers
 * (one bar per lab, the baseline marked) and latency CDFs. Every chart is plain SVG inlined in the report, so a
 * report opens offline, prints and scales on a phone. ECharts is loaded on first use only: commands that draw no
 * chart do not pay for it.
 */
import { createRequire } from 'node:module'
import type { Interval } from '../analysis/stats.js'

type ECharts = typeof import('echarts')
let echartsModule: ECharts | undefined
const echarts = (): ECharts => (echartsModule ??= createRequire(import.meta.url)('echarts') as ECharts)

const palette = { baseline: '#8a8f98', datapath: '#3b6fb6', caveat: '#d9822b', whisker: '#1d2430', grid: '#e3e6ea' }

export interface BarItem {
  label: string
  value: number
  ci95?: Interval | undefined
  kind: 'baseline' | 'datapath' | 'caveat'
}

// No double quotes: ECharts writes the family into a double-quoted SVG style attribute.
const FONT = { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", fontSize: 12 }
const ROW_HEIGHT = 26
const WIDTH = 760
const LABEL_WIDTH = 230

/** Horizontal bars, one per item, with a whisker for each CI; `unit` names the axis. */
export function barChart(opts: { title: string; unit: string; items: BarItem[]; zeroLine?: boolean }): string {
  const items = [...opts.items].reverse() // ECharts draws the first category at the bottom
  const height = 70 + items.length * ROW_HEIGHT
  return render(WIDTH, height, {
    animation: false,
    textStyle: FONT,
    title: { text: opts.title, left: 0, top: 0, textStyle: { ...FONT, fontSize: 14, fontWeight: 600 } },
    // A fixed label column: text is measured without a browser here, so ECharts' containLabel can clip long names.
    grid: { left: LABEL_WIDTH + 12, right: 24, top: 34, bottom: 40 },
    xAxis: { type: 'value', name: opts.unit, nameLocation: 'middle', nameGap: 24, splitLine: { lineStyle: { color: palette.grid } } },
    yAxis: { type: 'category', data: items.map((i) => i.label), axisLabel: { ...FONT, width: LABEL_WIDTH, overflow: 'truncate' } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 16,
        data: items.map((i) => ({ value: finite(i.value), itemStyle: { color: palette[i.kind] } })),
        ...(opts.zeroLine ? { markLine: { silent: true, symbol: 'none', data: [{ xAxis: 0 }], lineStyle: { color: palette.whisker, type: 'solid' }, label: { show: false } } } : {}),
      },
      whiskers(items.map((i, index) => [index, ...(i.ci95 ?? [Number.NaN, Number.NaN])] as [number, number, number])),
    ],
  })
}

/** A custom series drawing |—| from CI low to CI high at each category. */
function whiskers(data: [number, number, number][]) {
  return {
    type: 'custom',
    silent: true,
    // Dimension 0 is the row (category axis), 1 and 2 the CI bounds (value axis), so the axis range covers the CIs.
    encode: { y: 0, x: [1, 2] },
    data: data.filter(([, lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi)),
    renderItem: (_params: unknown, api: { value(i: number): number; coord(p: number[]): number[] }) => {
      const [x1, y] = api.coord([api.value(1), api.value(0)]) as [number, number]
      const [x2] = api.coord([api.value(2), api.value(0)]) as [number, number]
      const style = { stroke: palette.whisker, lineWidth: 1.5 }
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1, y1: y, x2, y2: y }, style },
          { type: 'line', shape: { x1, y1: y - 5, x2: x1, y2: y + 5 }, style },
          { type: 'line', shape: { x1: x2, y1: y - 5, x2, y2: y + 5 }, style },
        ],
      }
    },
  }
}

export interface CdfSeries {
  name: string
  points: [number, number][]
  kind: BarItem['kind']
}

/** Cumulative distribution of round-trip latency, one line per lab, log-scaled time axis. */
export function cdfChart(opts: { title: string; series: CdfSeries[] }): string {
  let n = 0
  return render(WIDTH, 420, {
    animation: false,
    textStyle: FONT,
    title: { text: opts.title, left: 0, top: 0, textStyle: { ...FONT, fontSize: 14, fontWeight: 600 } },
    legend: { type: 'plain', bottom: 0, textStyle: { ...FONT, fontSize: 11 }, itemWidth: 14, itemGap: 14 },
    grid: { left: 56, right: 24, top: 40, bottom: 100 },
    xAxis: { type: 'log', name: 'round trip, µs (log scale)', nameLocation: 'middle', nameGap: 26, splitLine: { lineStyle: { color: palette.grid } } },
    yAxis: { type: 'value', min: 0, max: 1, name: 'fraction of round trips ≤ x', nameLocation: 'middle', nameGap: 36, splitLine: { lineStyle: { color: palette.grid } } },
    series: opts.series.map((s) => ({
      type: 'line',
      name: s.name,
      step: 'end',
      showSymbol: false,
      data: s.points,
      lineStyle: { width: s.kind === 'baseline' ? 2.5 : 1.5, type: s.kind === 'baseline' ? 'dashed' : 'solid' },
      color: s.kind === 'baseline' ? palette.baseline : (LINE_COLORS[n++ % LINE_COLORS.length] as string),
    })),
  })
}

export interface CurveSeries {
  name: string
  /** One value per category, NaN where the line has no point; CI bounds alike. */
  values: number[]
  ci95: ([number, number] | undefined)[]
}

const LINE_COLORS = ['#3b6fb6', '#c23b22', '#2e8b57', '#8e44ad', '#d9822b', '#1d2430', '#16a085', '#7f6000', '#c0397b', '#34495e', '#1f9bd1', '#6b8e23', '#b03a2e', '#5d6d7e', '#af7ac5']

/**
 * A figure against scale: one line per implementation over the counts (evenly spaced categories: 0, 100, 1,000,
 * 10,000 spread as a log axis would, and 0 has a place), each point with a vertical 95% CI whisker.
 */
export function curveChart(opts: { title: string; unit: string; counts: string[]; xName: string; series: CurveSeries[] }): string {
  return render(WIDTH, 400, {
    animation: false,
    textStyle: FONT,
    title: { text: opts.title, left: 0, top: 0, textStyle: { ...FONT, fontSize: 14, fontWeight: 600 } },
    legend: { type: 'plain', bottom: 0, textStyle: { ...FONT, fontSize: 11 }, itemWidth: 14, itemGap: 14 },
    grid: { left: 64, right: 24, top: 40, bottom: 84 },
    xAxis: { type: 'category', data: opts.counts, name: opts.xName, nameLocation: 'middle', nameGap: 28, boundaryGap: false },
    yAxis: { type: 'value', name: opts.unit, nameLocation: 'middle', nameGap: 48, scale: true, splitLine: { lineStyle: { color: palette.grid } } },
    series: opts.series.flatMap((s, k) => {
      const color = LINE_COLORS[k % LINE_COLORS.length] as string
      const bars = s.ci95.flatMap((ci, i) => (ci ? [[i, ci[0], ci[1]] as [number, number, number]] : []))
      return [
        { type: 'line', name: s.name, color, symbolSize: 6, connectNulls: true, data: s.values.map(finite) },
        { ...verticalWhiskers(bars, color), name: s.name },
      ]
    }),
  })
}

/** A custom series drawing a vertical CI whisker at each category (dimension 0), from dimension 1 to 2. */
function verticalWhiskers(data: [number, number, number][], color: string) {
  return {
    type: 'custom',
    silent: true,
    encode: { x: 0, y: [1, 2] },
    data: data.filter(([, lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi)),
    renderItem: (_params: unknown, api: { value(i: number): number; coord(p: number[]): number[] }) => {
      const [x, y1] = api.coord([api.value(0), api.value(1)]) as [number, number]
      const [, y2] = api.coord([api.value(0), api.value(2)]) as [number, number]
      const style = { stroke: color, lineWidth: 1.2 }
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: x, y1, x2: x, y2 }, style },
          { type: 'line', shape: { x1: x - 4, y1, x2: x + 4, y2: y1 }, style },
          { type: 'line', shape: { x1: x - 4, y1: y2, x2: x + 4, y2 }, style },
        ],
      }
    },
  }
}

function render(width: number, height: number, option: Record<string, unknown>): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption(option)
    // Scale with the page: keep the viewBox, let CSS size the element.
    return chart.renderToSVGString().replace(/^<svg width="\d+" height="\d+"/, '<svg class="chart" role="img"')
  } finally {
    chart.dispose()
  }
}

function finite(v: number): number | string {
  return Number.isFinite(v) ? v : '-'
}
