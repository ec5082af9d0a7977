/** The stored main-job run of test/fixtures/runs, copied to a temp file (opening a database migrates it). */
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadReport } from '../../src/report/load.js'
import type { ReportModel } from '../../src/report/model.js'
import { ResultStore } from '../../src/store/db.js'

export const FIXTURE_RUN = 'r2scmzro'

export function fixtureDbCopy(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cnibench-fixture-')), 'results.db')
  copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'runs', 'main-job-2vcpu.db'), path)
  return path
}

/** The report model of the fixture run (`times` copies of it, to exercise the several-runs views). */
export function fixtureModel(times = 1): ReportModel {
  const store = ResultStore.open(fixtureDbCopy())
  try {
    return loadReport(store, Array.from({ length: times }, () => FIXTURE_RUN))
  } finally {
    store.close()
  }
}
