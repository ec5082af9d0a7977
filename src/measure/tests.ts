/**
 * The netperf-style test matrix (seed 000: TCP_STREAM, UDP_STREAM, TCP_RR, TCP_CRR, UDP_RR with 512 / 1024 / 10K
 * messages) as data: which tests exist, what "size" means for each, and the cells a run is made of. Pure.
 */

export const testKinds = ['TCP_STREAM', 'UDP_STREAM', 'TCP_RR', 'UDP_RR', 'TCP_CRR'] as const
export type TestKind = (typeof testKinds)[number]

export const placements = ['inter-node', 'intra-node'] as const
export type Placement = (typeof placements)[number]

export interface TestSpec {
  kind: TestKind
  /** STREAM: bytes per write (netperf -m, iperf3 -l). RR/CRR: request and response size (netperf -r). */
  size: number
  /** Measured seconds, after the warm-up. */
  durationS: number
  /** Seconds of traffic before measuring starts, excluded from the figures. */
  warmupS: number
  /** Concurrent flows (iperf3 -P; N clients for request/response tests). */
  parallel: number
}

export const isStream = (kind: TestKind) => kind === 'TCP_STREAM' || kind === 'UDP_STREAM'

/** One cell of a run: what is measured, on which datapath, by which engine. A cell gets N samples. */
export interface CellSpec {
  /** Stable identity within a run: datapath/test/size/parallel/placement. */
  key: string
  datapath: string
  test: TestKind
  size: number
  parallel: number
  placement: Placement
  engine: string
}

export function cellKey(c: Omit<CellSpec, 'key' | 'engine'>): string {
  return `${c.datapath}/${c.test}/${c.size}/${c.parallel}/${c.placement}`
}
