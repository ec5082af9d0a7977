/**
 * Real measurement runs into a temporary SQLite file: every sample and the environment are stored; `run --json` has
 * the promised shape; a kill -9 half way loses nothing and `--resume` completes the run without duplicates; Ctrl-C
 * marks the run interrupted and leaves nothing; bad --db and --config get one-line errors.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { listNetns } from '../../src/exec/netns.js'
import { ResultStore } from '../../src/store/db.js'
import { cnibench, cnibenchJson, startCnibench } from '../helpers/cli.js'

const tempDir = () => mkdtempSync(join(tmpdir(), 'cnibench-run-'))
const SHORT = ['--datapaths', 'host,calico-bgp', '--tests', 'TCP_STREAM,TCP_RR', '--duration', '1', '--warmup', '0', '--precision', 'off', '--no-report']

interface RunJson {
  runId: string
  status: string
  baseline: string
  environment: Record<string, unknown>
  cells: {
    datapath: string
    test: string
    size: number
    engine: string
    engineVersion: string
    samples: number
    metrics: Record<string, { median: number; ci95: [number, number] | null; overhead: { value: number; ci95: [number, number] | null } | null }>
    latency: { p50: number; p99: number; p50Overhead: { value: number } | null } | null
  }[]
}

async function runLabNamespaces(runId: string): Promise<string[]> {
  return (await listNetns()).filter((ns) => ns.startsWith(`cnb-${runId}`))
}

describe('cnibench run', () => {
  it('stores every sample with the environment, and prints medians, CIs and overheads as JSON', async () => {
    const db = join(tempDir(), 'results.db')
    const result = await cnibench(['run', ...SHORT, '--samples', '3', '--db', db, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as RunJson
    expect(json).toMatchObject({ status: 'complete', baseline: 'host' })
    expect(json.cells.map((c) => `${c.datapath}/${c.test}/${c.size}`).sort()).toEqual([
      'calico-bgp/TCP_RR/1024', 'calico-bgp/TCP_STREAM/10240', 'host/TCP_RR/1024', 'host/TCP_STREAM/10240',
    ])
    for (const cell of json.cells) {
      expect(cell.samples).toBeGreaterThanOrEqual(2) // more where a disturbed sample was re-taken
      const headline = cell.test === 'TCP_STREAM' ? 'throughput_bps' : 'transactions_per_s'
      expect(cell.metrics[headline]?.median).toBeGreaterThan(0)
      expect(cell.metrics[headline]?.ci95).toHaveLength(2)
      expect(cell.metrics['cpu_busy_cores']?.median).toBeGreaterThan(0)
      expect(cell.engine).toBe('cnb-perf')
      expect(cell.engineVersion).toMatch(/\d/)
      if (cell.datapath === 'calico-bgp') expect(cell.metrics[headline]?.overhead?.ci95).toHaveLength(2)
    }
    const rr = json.cells.find((c) => c.datapath === 'calico-bgp' && c.test === 'TCP_RR')
    expect(rr?.latency?.p99).toBeGreaterThanOrEqual(rr?.latency?.p50 ?? Infinity)
    expect(typeof rr?.latency?.p50Overhead?.value).toBe('number')
    expect(json.environment).toMatchObject({ kernel: expect.any(String), cpuCount: expect.any(Number), virtualization: expect.stringMatching(/vm|bare-metal/) })
    expect((json.environment['tools'] as Record<string, string>)['iperf3']).toMatch(/^3\./)

    const store = ResultStore.open(db)
    try {
      const samples = store.samples(json.runId)
      expect(samples.length).toBeGreaterThanOrEqual(8)
      for (const s of samples) {
        expect(s.error).toBeNull()
        expect(store.rawOutput(s.id)?.stdout.length).toBeGreaterThan(0)
      }
      const rrCells = new Set(store.cells(json.runId).filter((c) => c.test === 'TCP_RR').map((c) => c.id))
      expect(samples.filter((s) => s.histogram !== null).length).toBe(samples.filter((s) => rrCells.has(s.cellId)).length)
    } finally {
      store.close()
    }
    expect(await runLabNamespaces(json.runId)).toEqual([])

    const csv = await cnibench(['results', 'export', json.runId, '--format', 'csv', '--db', db])
    expect(csv.stdout.split('\n')[0]).toMatch(/^run_id,datapath,test,size/)
    expect(csv.stdout).toContain(',throughput_bps,')
    const compare = await cnibenchJson<{ datapath: string; rate?: { value: number } }[]>(['compare', json.runId, json.runId, '--db', db, '--json'])
    expect(compare.find((c) => c.datapath === 'calico-bgp')?.rate?.value).toBe(0) // a run against itself
  })

  it('keeps what a kill -9 interrupted, and --resume completes it without measuring anything twice', async () => {
    const db = join(tempDir(), 'results.db')
    const child = startCnibench(['run', ...SHORT, '--samples', '3', '--db', db])
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
    const runId = await waitForSamples(db, 3)
    child.kill('SIGKILL')
    await exited
    const list = await cnibenchJson<{ id: string; status: string; samples: number }[]>(['results', 'list', '--db', db, '--json'])
    const interrupted = list.find((r) => r.id === runId)
    expect(interrupted?.status).toBe('interrupted')
    const kept = interrupted?.samples ?? 0
    expect(kept).toBeGreaterThanOrEqual(3)
    expect(kept).toBeLessThan(12)

    const resumed = await cnibench(['run', '--resume', runId, '--db', db, '--json', '--no-report'])
    expect(resumed.code, resumed.stderr).toBe(0)
    const json = JSON.parse(resumed.stdout) as RunJson
    expect(json.status).toBe('complete')
    // Every cell keeps its 3 samples; a sample the disturbance rule excluded was re-taken, so there may be more.
    expect(json.cells.every((c) => c.samples >= 3)).toBe(true)
    const store = ResultStore.open(db)
    try {
      const samples = store.samples(runId)
      expect(samples.length).toBeGreaterThanOrEqual(12)
      expect(new Set(samples.map((s) => `${s.cellId}#${s.iteration}`)).size).toBe(samples.length)
      expect(store.getRun(runId)?.notes.resumes).toHaveLength(1)
    } finally {
      store.close()
    }
    expect(await runLabNamespaces(runId)).toEqual([])
    const again = await cnibench(['run', '--resume', runId, '--db', db])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already complete/)
  })

  it('Ctrl-C marks the run interrupted, says how to resume, and leaves nothing', async () => {
    const db = join(tempDir(), 'results.db')
    const child = startCnibench(['run', ...SHORT, '--samples', '3', '--db', db])
    let stderr = ''
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
    const runId = await waitForSamples(db, 1)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stderr).toContain(`cnibench run --resume ${runId}`)
    const list = await cnibenchJson<{ id: string; status: string }[]>(['results', 'list', '--db', db, '--json'])
    expect(list.find((r) => r.id === runId)?.status).toBe('interrupted')
    expect(await runLabNamespaces(runId)).toEqual([])
  })

  it('a corrupt or foreign --db and a bad --config each get a one-line error', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'corrupt.db'), 'x'.repeat(4096))
    const corrupt = await cnibench(['results', 'list', '--db', join(dir, 'corrupt.db')])
    expect(corrupt.code).toBe(1)
    expect(corrupt.stderr.trim().split('\n')).toHaveLength(1)
    expect(corrupt.stderr).toMatch(/not a usable SQLite database.*--db/)

    const { DatabaseSync } = await import('node:sqlite')
    const foreign = new DatabaseSync(join(dir, 'foreign.db'))
    foreign.exec('CREATE TABLE t (x)')
    foreign.close()
    const other = await cnibench(['run', '--db', join(dir, 'foreign.db'), '--datapaths', 'host'])
    expect(other.stderr.trim().split('\n')).toHaveLength(1)
    expect(other.stderr).toMatch(/not a cnibench one/)

    writeFileSync(join(dir, 'bad.yaml'), 'tests: [TCP_RR]\nsamples: 0\n')
    const bad = await cnibench(['run', '--config', join(dir, 'bad.yaml'), '--db', join(dir, 'ok.db')])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:2:10: "samples" must be a whole number from 1 to 1000`)
  })
})

/** Poll the database (as another reader would) until a run has at least `n` samples; returns its id. */
async function waitForSamples(db: string, n: number): Promise<string> {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    await sleep(200)
    let store: ResultStore | undefined
    if (!existsSync(db)) continue
    try {
      store = ResultStore.open(db)
      const run = store.listRuns()[0]
      if (run && store.samples(run.id).length >= n) return run.id
    } catch {
      // The file may not exist yet.
    } finally {
      store?.close()
    }
  }
  throw new Error(`no run reached ${n} samples`)
}
