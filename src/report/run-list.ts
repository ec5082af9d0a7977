/** The stored runs as a list: what `results list`, its JSON and the dashboard's runs page and /api/runs show. */
import type { ResultStore } from '../store/db.js'
import { statusOf } from '../store/status.js'

export interface RunListEntry {
  id: string
  createdAt: string
  finishedAt: string | null
  /** As a reader should see it: a 'running' run whose process is gone reads 'interrupted'. */
  status: string
  kind: string
  label: string | null
  cells: number
  samples: number
  datapaths: string[]
  environment: Record<string, unknown>
}

export function runListOf(store: ResultStore): Promise<RunListEntry[]> {
  return Promise.all(
    store.listRuns().map(async (r) => {
      const cells = store.cells(r.id)
      return {
        id: r.id,
        createdAt: r.createdAt,
        finishedAt: r.finishedAt,
        status: await statusOf(r),
        kind: r.kind,
        label: r.label,
        cells: cells.length,
        samples: store.sampleCount(r.id),
        datapaths: [...new Set(cells.map((c) => c.datapath))],
        environment: r.environment,
      }
    }),
  )
}
