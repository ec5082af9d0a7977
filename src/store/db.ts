/**
 * The results store: one SQLite file (Node's built-in node:sqlite, no native addon to build) holding every run, its
 * environment fingerprint, its cells, every sample with its metrics and latency histogram, and each engine's raw
 * output so a fixed parser can re-read old runs. Samples are committed one by one as they are taken, so a run killed
 * half way keeps everything it finished. Schema changes are numbered migrations applied on open (PRAGMA user_version).
 *
 * This module owns SQL; nothing else in cnibench writes any.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { CnibenchError } from '../errors.js'
import type { CellShape, Variant } from '../measure/tests.js'
import { migrations, APPLICATION_ID } from './schema.js'

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed'

export interface RunRecord {
  id: string
  createdAt: string
  finishedAt: string | null
  status: RunStatus
  kind: string
  label: string | null
  cnibenchVersion: string
  config: unknown
  environment: Record<string, unknown>
  owner: { pid: number; startTime: string } | null
  notes: RunNotes
}

export interface RunNotes {
  /** Datapaths asked for (or implied) that could not be measured, with the reason. */
  skipped?: { datapath: string; reason: string }[]
  warnings?: string[]
  resumes?: { at: string; environment: Record<string, unknown> }[]
  /** How measuring ended: every cell done, or the time budget; with a precision target, the cells short of it. */
  outcome?: { stoppedBy: string; rounds: number; unmet: { key: string; halfWidth: number }[]; at: string }
}

/** A cell as stored: its shape (datapath, lab variant — {} for the default lab —, test, size, flows, placement). */
export interface CellRecord extends CellShape {
  id: number
  runId: string
  key: string
  engine: string
  engineVersion: string
  /** Datapath facts, MTUs and pinning: what a reader needs to compare this cell with another machine's. */
  context: Record<string, unknown>
}

export interface SampleInput {
  iteration: number
  startedAt: string
  elapsedS: number
  metrics: Record<string, number>
  /** Serialized LatencyHistogram (see analysis/histogram.ts), or null for engines without latency. */
  histogram: string | null
  error: string | null
  raw: { argv: string[]; stdout: string; stderr: string; exitCode: number }
  /** What else happened meanwhile (reference probe, foreign CPU load, concurrent measurements); see SampleConditions. */
  conditions?: SampleConditions
}

/** Circumstances of a sample, recorded beside its figures (analysis/dips.ts decides from them what to exclude). */
export interface SampleConditions {
  /** The reference probe run just before and just after the sample (see measure/probe.ts). */
  probe?: { before: Record<string, number>; after: Record<string, number> }
  /** CPU time of processes that were neither the sample's nor cnibench's, in cores, with the largest users. */
  foreignCpu?: { cores: number; top: { pid: number; command: string; cores: number }[] }
  /** Other cnibench activity that overlapped the sample (a run started with --allow-concurrent, `lab exec`). */
  concurrent?: string[]
}

/** A lab as a run built it. */
export interface TestbedRecord {
  runId: string
  key: string
  datapath: string
  variant: Variant
  builtAt: string
  facts: Record<string, unknown>
}

export interface SampleRecord {
  id: number
  cellId: number
  iteration: number
  startedAt: string
  elapsedS: number
  metrics: Record<string, number>
  histogram: string | null
  error: string | null
  conditions: SampleConditions
}

export class ResultStore {
  private constructor(
    readonly path: string,
    private readonly db: DatabaseSync,
  ) {}

  /** Open (creating if needed) a cnibench database; a corrupt or foreign file is refused with the fix. */
  static open(path: string): ResultStore {
    const isNew = !existsSync(path)
    if (isNew) mkdirSync(dirname(path), { recursive: true })
    let db: DatabaseSync
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 })
      db.exec('PRAGMA journal_mode = WAL')
    } catch (cause) {
      throw notADatabase(path, cause)
    }
    const store = new ResultStore(path, db)
    try {
      store.checkOwnership()
      store.migrate()
    } catch (error) {
      db.close()
      throw error instanceof CnibenchError ? error : notADatabase(path, error)
    }
    return store
  }

  close(): void {
    this.db.close()
  }

  private checkOwnership(): void {
    const appId = (this.db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id
    const tables = (this.db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n
    if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0)) {
      throw new CnibenchError('E_STORE', `${this.path} is a SQLite database, but not a cnibench one`, {
        hint: 'pass a new or existing cnibench file to --db (or leave --db out for the default)',
      })
    }
  }

  /** Apply pending migrations, each in its own write transaction; re-reading the version under the lock makes two
   * processes opening a new file at once safe. */
  private migrate(): void {
    for (;;) {
      const done = this.transaction(() => {
        const current = this.schemaVersion()
        if (current > migrations.length) {
          throw new CnibenchError('E_STORE', `${this.path} was written by a newer cnibench (schema ${current})`, {
            hint: 'upgrade cnibench, or use another --db',
          })
        }
        if (current === migrations.length) return true
        this.db.exec(migrations[current] as string)
        this.db.exec(`PRAGMA user_version = ${current + 1}`)
        this.db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
        return false
      })
      if (done) return
    }
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const result = work()
      this.db.exec('COMMIT')
      return result
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    }
  }

  schemaVersion(): number {
    return (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
  }

  createRun(run: Omit<RunRecord, 'finishedAt'>): void {
    const env = run.environment
    this.db
      .prepare(
        `INSERT INTO runs (id, created_at, status, kind, label, cnibench_version, config_json, environment_json,
           kernel, cpu_model, cpu_count, virtualization, owner_pid, owner_start, notes_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.id,
        run.createdAt,
        run.status,
        run.kind,
        run.label,
        run.cnibenchVersion,
        JSON.stringify(run.config),
        JSON.stringify(env),
        String(env['kernel'] ?? ''),
        String(env['cpuModel'] ?? ''),
        Number(env['cpuCount'] ?? 0),
        String(env['virtualization'] ?? ''),
        run.owner?.pid ?? null,
        run.owner?.startTime ?? null,
        JSON.stringify(run.notes),
      )
  }

  updateRun(id: string, change: { status?: RunStatus; finishedAt?: string | null; notes?: RunNotes; owner?: RunRecord['owner'] }): void {
    const current = this.getRun(id)
    if (!current) throw new CnibenchError('E_STORE', `no run ${id}`)
    this.db
      .prepare('UPDATE runs SET status = ?, finished_at = ?, notes_json = ?, owner_pid = ?, owner_start = ? WHERE id = ?')
      .run(
        change.status ?? current.status,
        change.finishedAt === undefined ? current.finishedAt : change.finishedAt,
        JSON.stringify(change.notes ?? current.notes),
        (change.owner === undefined ? current.owner : change.owner)?.pid ?? null,
        (change.owner === undefined ? current.owner : change.owner)?.startTime ?? null,
        id,
      )
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    return row ? toRun(row) : undefined
  }

  /** A run by id or unambiguous id prefix; the one-line error lists what matched. */
  requireRun(idOrPrefix: string): RunRecord {
    const exact = this.getRun(idOrPrefix)
    if (exact) return exact
    // A plain prefix comparison: '%' and '_' in what a user (or a URL) gives are characters, not wildcards.
    const rows = this.db.prepare('SELECT * FROM runs WHERE substr(id, 1, length(?)) = ? ORDER BY created_at').all(idOrPrefix, idOrPrefix) as unknown as RunRow[]
    if (rows.length === 1) return toRun(rows[0] as RunRow)
    if (rows.length > 1) {
      throw new CnibenchError('E_USAGE', `run id "${idOrPrefix}" is ambiguous (${rows.map((r) => r.id).join(', ')})`, {
        hint: 'give more characters of the id',
      })
    }
    throw new CnibenchError('E_USAGE', `no run "${idOrPrefix}" in ${this.path}`, { hint: 'see `cnibench results list`' })
  }

  listRuns(): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY created_at').all() as unknown as RunRow[]).map(toRun)
  }

  /** Insert cells that are not there yet (by key); returns every cell of the run. */
  ensureCells(runId: string, cells: Omit<CellRecord, 'id' | 'runId'>[]): CellRecord[] {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO cells (run_id, key, datapath, variant_json, test, size, parallel, placement, engine, engine_version, context_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.transaction(() => {
      for (const c of cells) {
        insert.run(runId, c.key, c.datapath, JSON.stringify(c.variant), c.test, c.size, c.parallel, c.placement, c.engine, c.engineVersion, JSON.stringify(c.context))
      }
    })
    return this.cells(runId)
  }

  cells(runId: string): CellRecord[] {
    const rows = this.db.prepare('SELECT * FROM cells WHERE run_id = ? ORDER BY id').all(runId) as unknown as CellRow[]
    return rows.map((r) => ({
      id: r.id,
      runId: r.run_id,
      key: r.key,
      datapath: r.datapath,
      variant: JSON.parse(r.variant_json) as Variant,
      test: r.test,
      size: r.size,
      parallel: r.parallel,
      placement: r.placement,
      engine: r.engine,
      engineVersion: r.engine_version,
      context: JSON.parse(r.context_json) as Record<string, unknown>,
    }))
  }

  /** Commit one sample, its metrics and its raw output atomically. A sample already stored is an error. */
  insertSample(cellId: number, s: SampleInput): void {
    this.transaction(() => {
      const result = this.db
        .prepare('INSERT INTO samples (cell_id, iteration, started_at, elapsed_s, histogram, error, conditions_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(cellId, s.iteration, s.startedAt, s.elapsedS, s.histogram, s.error, JSON.stringify(s.conditions ?? {}))
      const sampleId = Number(result.lastInsertRowid)
      const metric = this.db.prepare('INSERT INTO sample_metrics (sample_id, metric, value) VALUES (?, ?, ?)')
      for (const [name, value] of Object.entries(s.metrics)) if (Number.isFinite(value)) metric.run(sampleId, name, value)
      this.db
        .prepare('INSERT INTO raw_outputs (sample_id, argv_json, stdout, stderr, exit_code) VALUES (?, ?, ?, ?, ?)')
        .run(sampleId, JSON.stringify(s.raw.argv), s.raw.stdout, s.raw.stderr, s.raw.exitCode)
    })
  }

  /** How many samples a run has (without loading them). */
  sampleCount(runId: string): number {
    const row = this.db.prepare('SELECT count(*) AS n FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.run_id = ?').get(runId) as { n: number }
    return row.n
  }

  samples(runId: string): SampleRecord[] {
    const rows = this.db
      .prepare(
        `SELECT s.* FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.run_id = ? ORDER BY s.cell_id, s.iteration`,
      )
      .all(runId) as unknown as SampleRow[]
    const metrics = this.db
      .prepare(
        `SELECT m.sample_id, m.metric, m.value FROM sample_metrics m JOIN samples s ON s.id = m.sample_id
         JOIN cells c ON c.id = s.cell_id WHERE c.run_id = ?`,
      )
      .all(runId) as unknown as { sample_id: number; metric: string; value: number }[]
    const bySample = new Map<number, Record<string, number>>()
    for (const m of metrics) {
      const entry = bySample.get(m.sample_id) ?? {}
      entry[m.metric] = m.value
      bySample.set(m.sample_id, entry)
    }
    return rows.map((r) => ({
      id: r.id,
      cellId: r.cell_id,
      iteration: r.iteration,
      startedAt: r.started_at,
      elapsedS: r.elapsed_s,
      metrics: bySample.get(r.id) ?? {},
      histogram: r.histogram,
      error: r.error,
      conditions: JSON.parse(r.conditions_json) as SampleConditions,
    }))
  }

  /** Record (or, after a resume rebuilt it, replace) what a lab of the run was built as. */
  saveTestbed(t: TestbedRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO testbeds (run_id, key, datapath, variant_json, built_at, facts_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.runId, t.key, t.datapath, JSON.stringify(t.variant), t.builtAt, JSON.stringify(t.facts))
  }

  testbeds(runId: string): TestbedRecord[] {
    const rows = this.db.prepare('SELECT * FROM testbeds WHERE run_id = ? ORDER BY key').all(runId) as unknown as TestbedRow[]
    return rows.map((r) => ({
      runId: r.run_id,
      key: r.key,
      datapath: r.datapath,
      variant: JSON.parse(r.variant_json) as Variant,
      builtAt: r.built_at,
      facts: JSON.parse(r.facts_json) as Record<string, unknown>,
    }))
  }

  rawOutput(sampleId: number): SampleInput['raw'] | undefined {
    const row = this.db.prepare('SELECT * FROM raw_outputs WHERE sample_id = ?').get(sampleId) as
      | { argv_json: string; stdout: string; stderr: string; exit_code: number }
      | undefined
    return row && { argv: JSON.parse(row.argv_json) as string[], stdout: row.stdout, stderr: row.stderr, exitCode: row.exit_code }
  }
}

function notADatabase(path: string, cause: unknown): CnibenchError {
  const why = cause instanceof Error ? cause.message : String(cause)
  return new CnibenchError('E_STORE', `${path} is not a usable SQLite database (${why})`, {
    hint: 'pass another file to --db, or move this one away',
    cause,
  })
}

interface RunRow {
  id: string
  created_at: string
  finished_at: string | null
  status: RunStatus
  kind: string
  label: string | null
  cnibench_version: string
  config_json: string
  environment_json: string
  owner_pid: number | null
  owner_start: string | null
  notes_json: string
}

interface CellRow {
  id: number
  run_id: string
  key: string
  datapath: string
  variant_json: string
  test: string
  size: number
  parallel: number
  placement: string
  engine: string
  engine_version: string
  context_json: string
}

interface TestbedRow {
  run_id: string
  key: string
  datapath: string
  variant_json: string
  built_at: string
  facts_json: string
}

interface SampleRow {
  id: number
  cell_id: number
  iteration: number
  started_at: string
  elapsed_s: number
  histogram: string | null
  error: string | null
  conditions_json: string
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    status: row.status,
    kind: row.kind,
    label: row.label,
    cnibenchVersion: row.cnibench_version,
    config: JSON.parse(row.config_json) as unknown,
    environment: JSON.parse(row.environment_json) as Record<string, unknown>,
    owner: row.owner_pid === null ? null : { pid: row.owner_pid, startTime: row.owner_start ?? '' },
    notes: JSON.parse(row.notes_json) as RunNotes,
  }
}
