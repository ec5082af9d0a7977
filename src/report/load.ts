/** The report model of stored runs, by id (a prefix is enough, as everywhere a run id is taken). */
import { loadRunData } from '../analysis/run-data.js'
import type { ResultStore } from '../store/db.js'
import { buildReportModel, type ReportModel } from './model.js'

export function loadReport(store: ResultStore, ids: string[]): ReportModel {
  return buildReportModel(ids.map((id) => loadRunData(store, store.requireRun(id).id)))
}
