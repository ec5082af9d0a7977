/** The results store on a real SQLite file: round trip, and clear refusals for corrupt, foreign or newer files. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { ResultStore } from '../../src/store/db.js'
import { migrations } from '../../src/store/schema.js'

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'cnibench-store-')), 'results.db')

function newRun(store: ResultStore, id: string) {
  store.createRun({ id, createdAt: '2026-11-24T00:00:00Z', status: 'running', kind: 'lab', label: null, cnibenchVersion: '0', config: { seed: 1 }, environment: { kernel: 'k' }, owner: null, notes: {} })
  return store.ensureCells(id, [{ key: 'host/TCP_RR/1024/1/inter-node', datapath: 'host', variant: {}, test: 'TCP_RR', size: 1024, parallel: 1, placement: 'inter-node', engine: 'sockperf', engineVersion: '3.7', context: {} }])
}

describe('results store', () => {
  it('keeps runs, cells, samples with their metrics and raw output', () => {
    const path = tempDb()
    const store = ResultStore.open(path)
    const [cell] = newRun(store, 'rtest001')
    store.insertSample(cell!.id, { iteration: 1, startedAt: 't', elapsedS: 1.5, metrics: { latency_p50_us: 20.5, load_avg_1m: 0.3 }, histogram: '[[1000,3]]', error: null, raw: { argv: ['sockperf'], stdout: 'out', stderr: '', exitCode: 0 } })
    store.close()
    const again = ResultStore.open(path)
    const [sample] = again.samples('rtest001')
    expect(sample).toMatchObject({ iteration: 1, metrics: { latency_p50_us: 20.5, load_avg_1m: 0.3 }, histogram: '[[1000,3]]' })
    expect(again.rawOutput(sample!.id)).toEqual({ argv: ['sockperf'], stdout: 'out', stderr: '', exitCode: 0 })
    expect(again.requireRun('rtest').id).toBe('rtest001')
    expect(again.schemaVersion()).toBe(migrations.length)
    again.close()
  })
  it('never stores the same sample twice', () => {
    const store = ResultStore.open(tempDb())
    const [cell] = newRun(store, 'rtest002')
    const sample = { iteration: 1, startedAt: 't', elapsedS: 1, metrics: {}, histogram: null, error: null, raw: { argv: [], stdout: '', stderr: '', exitCode: 0 } }
    store.insertSample(cell!.id, sample)
    expect(() => store.insertSample(cell!.id, sample)).toThrow()
    expect(store.samples('rtest002')).toHaveLength(1)
    store.close()
  })
  it('refuses a file that is not SQLite', () => {
    const path = tempDb()
    writeFileSync(path, 'this is a spreadsheet, not a database'.repeat(200))
    expect(() => ResultStore.open(path)).toThrow(/is not a usable SQLite database \(file is not a database\)/)
  })
  it("refuses another program's SQLite database", () => {
    const path = tempDb()
    const other = new DatabaseSync(path)
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)')
    other.close()
    expect(() => ResultStore.open(path)).toThrow(/not a cnibench one/)
  })
  it('refuses a database from a newer cnibench', () => {
    const path = tempDb()
    ResultStore.open(path).close()
    const db = new DatabaseSync(path)
    db.exec(`PRAGMA user_version = ${migrations.length + 1}`)
    db.close()
    expect(() => ResultStore.open(path)).toThrow(/newer cnibench/)
  })
})
