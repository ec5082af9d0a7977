/**
 * The stable JSON of a run's results (`run --json`, `results show --json`, `results export --format json`, the
 * dashboard's /api/runs/ID). Add fields; never rename them. Several runs: { runs: [...], changes: [...] }.
 */
import type { ReportModel, RunReport } from '../model.js'
import { overheadRows } from '../overheads.js'
import type { Renderer } from './renderer.js'

export const jsonRenderer: Renderer = {
  name: 'json',
  extension: 'json',
  mediaType: 'application/json; charset=utf-8',
  render: (model: ReportModel) => JSON.stringify(model.runs.length === 1 ? runJson(model.runs[0] as RunReport) : { runs: model.runs.map(runJson), changes: model.changes }, null, 2) + '\n',
}

function runJson(report: RunReport) {
  const { summary } = report
  const { run } = summary
  return {
    runId: run.id,
    status: run.status,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    baseline: summary.baseline,
    config: run.config,
    environment: run.environment,
    skipped: run.notes.skipped ?? [],
    outcome: run.notes.outcome ?? null,
    testbeds: summary.testbeds.map((t) => ({ key: t.key, datapath: t.datapath, variant: t.variant, builtAt: t.builtAt, facts: t.facts })),
    warnings: [...(run.notes.warnings ?? []), ...summary.warnings],
    cells: summary.cells.map((c) => ({
      datapath: c.datapath,
      variant: c.variant,
      test: c.test,
      size: c.size,
      parallel: c.parallel,
      placement: c.placement,
      engine: c.engine,
      engineVersion: c.engineVersion,
      context: c.context,
      samples: c.samples,
      failed: c.failed,
      excluded: c.excluded,
      contended: c.contended,
      metrics: Object.fromEntries(
        Object.entries(c.metrics).map(([name, m]) => [
          name,
          { unit: m.unit, n: m.n, median: m.median, ci95: m.medianCi95 ?? null, mean: m.mean, meanCi95: m.meanCi95 ?? null, stddev: nullable(m.stddev), overhead: m.overhead ? { value: m.overhead.value, ci95: m.overhead.ci95 ?? null, n: m.overhead.n, method: m.overhead.method } : null },
        ]),
      ),
      latency: c.latency
        ? {
            unit: 'µs',
            pooled: true,
            observations: c.latency.observations,
            p50: c.latency.p50,
            p50Ci95: c.latency.p50Ci95 ?? null,
            p90: c.latency.p90,
            p99: c.latency.p99,
            p99Ci95: c.latency.p99Ci95 ?? null,
            mean: c.latency.mean,
            p50Overhead: c.latency.p50Overhead ?? null,
            p99Overhead: c.latency.p99Overhead ?? null,
          }
        : null,
    })),
    // Policy and Service variants against N, per implementation; each point's overhead is against N = 0.
    curves: report.curves.map((c) => ({
      ...c,
      lines: c.lines.map((l) => ({ ...l, points: l.points.map((p) => ({ ...p, ci95: p.ci95 ?? null, overhead: p.overhead ? { ...p.overhead, ci95: p.overhead.ci95 ?? null } : null })) })),
    })),
  }
}

/** `compare RUN --json`: each datapath's overheads against the run's baseline. */
export function overheadsJson(report: RunReport) {
  return { baseline: report.summary.baseline, overheads: overheadRows(report) }
}

function nullable(n: number): number | null {
  return Number.isFinite(n) ? n : null
}
