/** Engine parsers against real captured output (test/fixtures/<engine>/<version>/): figures, units, and failures. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { histogramCount } from '../../src/analysis/histogram.js'
import { cnbPerf, type CnbPerfJson } from '../../src/engines/cnb-perf.js'
import { engineNames } from '../../src/engines/names.js'
import type { ClientOutput } from '../../src/engines/engine.js'
import { chooseEngine, engines } from '../../src/engines/index.js'
import { iperf3 } from '../../src/engines/iperf3.js'
import { netperf, parseKeyValues } from '../../src/engines/netperf.js'
import { sockperf } from '../../src/engines/sockperf.js'
import type { TestKind, TestSpec } from '../../src/measure/tests.js'

const fixture = (path: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', path), 'utf8')
const out = (stdout: string, code = 0, files: Record<string, string> = {}): ClientOutput => ({ stdout, stderr: '', code, files })
const spec = (kind: TestKind, size = 1024): TestSpec => ({ kind, size, durationS: 1, warmupS: 1, parallel: 1 })

describe('iperf3', () => {
  it('reads receiver throughput and retransmits of a TCP stream', () => {
    const text = fixture('iperf3/3.12/tcp_stream_l10240_P2.json')
    const json = JSON.parse(text) as { end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits: number } } }
    const r = iperf3.parse(out(text), spec('TCP_STREAM', 10240))
    expect(r.metrics.throughput_bps).toBe(json.end.sum_received.bits_per_second)
    expect(r.metrics.retransmits).toBe(json.end.sum_sent.retransmits)
    expect(r.measuredS).toBeCloseTo(1, 1)
  })
  it('reads UDP loss and jitter (ms → µs)', () => {
    const text = fixture('iperf3/3.12/udp_stream_l1024.json')
    const json = JSON.parse(text) as { end: { sum: { jitter_ms: number; lost_percent: number } } }
    const r = iperf3.parse(out(text), spec('UDP_STREAM'))
    expect(r.metrics.udp_loss_pct).toBe(json.end.sum.lost_percent)
    expect(r.metrics.jitter_us).toBeCloseTo(json.end.sum.jitter_ms * 1000, 9)
    expect(r.metrics.throughput_bps).toBeGreaterThan(1e8)
  })
  it('turns an iperf3 error into an error, never a zero', () => {
    expect(() => iperf3.parse(out(fixture('iperf3/3.12/error_refused.json'), 1), spec('TCP_STREAM'))).toThrow(/Connection refused/)
    expect(() => iperf3.parse(out('not json', 1), spec('TCP_STREAM'))).toThrow(/printed no JSON/)
  })
  it('asks for the warm-up to be omitted and UDP unlimited', () => {
    const argv = iperf3.client({ ...spec('UDP_STREAM'), warmupS: 2, parallel: 4 }, { serverIp: '10.244.2.2', port: 20001 }, '/tmp').argv
    expect(argv).toEqual(expect.arrayContaining(['-O', '2', '-P', '4', '-u', '-b', '0', '-J', '-l', '1024']))
  })
})

describe('sockperf', () => {
  const files = { '/w/sockperf-1.csv': fixture('sockperf/3.7/tcp_rr_m1024_fulllog_every100th.csv') }
  it('computes exact percentiles and the rate from the full log', () => {
    const r = sockperf.parse(out('', 0, files), { ...spec('TCP_RR'), warmupS: 0 })
    expect(r.histogram && histogramCount(r.histogram)).toBe(509)
    expect(r.metrics.latency_p50_us).toBeGreaterThan(5)
    expect(r.metrics.latency_p99_us).toBeGreaterThanOrEqual(r.metrics.latency_p50_us as number)
    // Every 100th row of ~1.55 s of ping-pong: ~325 rows/s, i.e. ~32k round trips/s in the original.
    expect(r.metrics.transactions_per_s).toBeGreaterThan(100)
  })
  it('drops the part of a longer warm-up that sockperf did not already discard', () => {
    const all = sockperf.parse(out('', 0, files), { ...spec('TCP_RR'), warmupS: 0 })
    const cut = sockperf.parse(out('', 0, files), { ...spec('TCP_RR'), warmupS: 1 })
    expect(histogramCount(cut.histogram!)).toBeLessThan(histogramCount(all.histogram!))
    expect(cut.measuredS).toBeCloseTo(all.measuredS - 0.6, 1)
  })
  it('fails loudly without a log', () => {
    expect(() => sockperf.parse(out(fixture('sockperf/3.7/tcp_rr_m1024_stdout.txt'), 0, {}), spec('TCP_RR'))).toThrow(/sockperf/)
  })
})

describe('netperf (omni -k output, netperf 2.7.1)', () => {
  it('parses key=value lines after the banner', () => {
    const kv = parseKeyValues(fixture('netperf/2.7.1/tcp_rr_r512_k.txt'))
    expect(kv['THROUGHPUT']).toBe('27710.82')
    expect(kv['P99_LATENCY']).toBe('90')
  })
  it('TCP_CRR: connections per second and latency percentiles in µs', () => {
    const r = netperf.parse(out(fixture('netperf/2.7.1/tcp_crr_r1024_k.txt')), spec('TCP_CRR'))
    expect(r.metrics).toMatchObject({ connections_per_s: 12117.42, latency_p50_us: 74, latency_p90_us: 116, latency_p99_us: 187, latency_mean_us: 82.29 })
    expect(r.measuredS).toBe(2)
  })
  it('TCP_STREAM: 10^6 bits/s → bit/s; the retransmit count is kept', () => {
    const r = netperf.parse(out(fixture('netperf/2.7.1/tcp_stream_m1024_k.txt')), spec('TCP_STREAM'))
    expect(r.metrics.throughput_bps).toBeCloseTo(369.33e6, 0)
    expect(r.metrics.retransmits).toBe(1)
  })
  it('UDP_RR with CPU not measured (-1) leaves those values out', () => {
    const r = netperf.parse(out(fixture('netperf/2.7.1/udp_rr_r1024_k.txt')), spec('UDP_RR'))
    expect(r.metrics.transactions_per_s).toBe(30182.11)
    expect(Object.values(r.metrics).every((v) => v >= 0)).toBe(true)
  })
  it('turns "no netserver" into an error', () => {
    expect(() => netperf.parse(out(fixture('netperf/2.7.1/error_unreachable.txt'), 255), spec('TCP_RR'))).toThrow(/THROUGHPUT/)
  })
  it("asks for the bank's study's test with request/response sizes", () => {
    expect(netperf.client(spec('TCP_CRR', 512), { serverIp: '1.2.3.4', port: 12865 }, '/tmp').argv).toEqual(
      expect.arrayContaining(['-t', 'TCP_CRR', '-r', '512,512', '-k']),
    )
  })
})

describe('cnb-perf', () => {
  const sample = (name: string) => fixture(`cnb-perf/1/${name}`)
  it('takes a stream\'s throughput from what the receiver got in the measured window', () => {
    const text = sample('tcp_stream_10240.json')
    const json = JSON.parse(text) as CnbPerfJson
    const r = cnbPerf.parse(out(text), spec('TCP_STREAM', 10240))
    expect(r.metrics.throughput_bps).toBeCloseTo(((json.server?.bytes ?? 0) * 8) / (json.server?.seconds ?? 1), 0)
    expect(r.metrics.retransmits).toBe(json.retransmits)
    expect(r.measuredS).toBeCloseTo(1, 2)
  })
  it('counts UDP loss from the sequence numbers the receiver saw', () => {
    const text = sample('udp_stream_1024.json')
    const json = JSON.parse(text) as CnbPerfJson
    const r = cnbPerf.parse(out(text), spec('UDP_STREAM'))
    const expected = (json.server?.last_seq ?? 0) - (json.server?.first_seq ?? 0)
    expect(r.metrics.udp_datagrams_sent).toBe(expected)
    expect(r.metrics.udp_datagrams_received).toBe(json.server?.datagrams)
    expect(r.metrics.udp_loss_pct).toBeCloseTo(((expected - (json.server?.datagrams ?? 0)) / expected) * 100, 9)
    expect(r.metrics.throughput_bps).toBeLessThanOrEqual(r.metrics.sender_bps as number)
  })
  it.each([
    ['tcp_rr_1024.json', 'TCP_RR', 'transactions_per_s'],
    ['udp_rr_1024.json', 'UDP_RR', 'transactions_per_s'],
    ['tcp_crr_1024.json', 'TCP_CRR', 'connections_per_s'],
  ] as const)('reads %s: the rate and a histogram of every transaction', (file, kind, rate) => {
    const text = sample(file)
    const json = JSON.parse(text) as CnbPerfJson
    const r = cnbPerf.parse(out(text), spec(kind))
    expect(r.metrics[rate]).toBeCloseTo(json.transactions / json.seconds, 6)
    expect(histogramCount(r.histogram!)).toBe(json.transactions)
    expect(r.metrics.latency_p99_us).toBeGreaterThanOrEqual(r.metrics.latency_p50_us as number)
    expect(r.metrics.errors).toBe(json.errors)
  })
  it('turns a refused connection into an error with the engine\'s message, never a zero', () => {
    const failed = { stdout: sample('error_refused.stdout'), stderr: sample('error_refused.stderr'), code: 2, files: {} }
    expect(() => cnbPerf.parse(failed, spec('TCP_RR'))).toThrow(/cnb-perf: .*cannot reach the server.*Connection refused/)
  })
  it('a sample with no transaction is a failure', () => {
    const json = { ...(JSON.parse(sample('tcp_rr_1024.json')) as CnbPerfJson), transactions: 0, errors: 7 }
    expect(() => cnbPerf.parse(out(JSON.stringify(json), 1), spec('TCP_RR'))).toThrow(/no transaction completed \(7 errors/)
  })
  it('pins the server session to the sample\'s CPU and passes netperf-style sizes', () => {
    const argv = cnbPerf.client({ ...spec('TCP_CRR', 512), serverCpu: 1 }, { serverIp: '10.244.2.2', port: 19999 }, '/tmp').argv
    expect(argv).toEqual(expect.arrayContaining(['--test', 'TCP_CRR', '--size', '512', '--server-cpu', '1', '--duration', '1', '--warmup', '1']))
  })
})

describe('engine choice', () => {
  const all = () => true
  it('uses cnb-perf for every test, whatever else is installed', () => {
    for (const test of ['TCP_STREAM', 'UDP_STREAM', 'TCP_RR', 'UDP_RR', 'TCP_CRR'] as const) expect(chooseEngine(test, all).name).toBe('cnb-perf')
  })
  it('falls back to iperf3 for streams and sockperf for RR where cnb-perf was not built', () => {
    const notBuilt = (e: { name: string }) => e.name !== 'cnb-perf'
    expect(chooseEngine('TCP_STREAM', notBuilt).name).toBe('iperf3')
    expect(chooseEngine('UDP_RR', notBuilt).name).toBe('sockperf')
    expect(chooseEngine('TCP_CRR', notBuilt).name).toBe('netperf')
  })
  it('takes the engine the user named, or says in one line why it cannot', () => {
    expect(chooseEngine('TCP_RR', all, 'sockperf').name).toBe('sockperf')
    expect(() => chooseEngine('TCP_CRR', all, 'iperf3')).toThrow(/engine iperf3 cannot run TCP_CRR/)
    expect(() => chooseEngine('TCP_RR', (e) => e.name !== 'netperf', 'netperf')).toThrow(/engine netperf \(asked for TCP_RR\) is not available here/)
    expect(() => chooseEngine('TCP_RR', all, 'ping')).toThrow(/unknown engine "ping"/)
  })
  it('names what to install when nothing can run a test', () => {
    expect(() => chooseEngine('TCP_RR', () => false)).toThrow(/no engine for TCP_RR/)
  })
  it('the registry holds exactly the engines configuration accepts', () => {
    expect(Object.keys(engines).sort()).toEqual([...engineNames].sort())
  })
  it('every engine is registered under its own name', () => {
    for (const [key, e] of Object.entries(engines)) expect(e.name).toBe(key)
  })
})
