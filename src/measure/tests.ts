/**
 * The netperf-style test matrix (the bank's bare-metal-vs-VM study: TCP_STREAM, UDP_STREAM, TCP_RR, TCP_CRR, UDP_RR with 512 / 1024 / 10K
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
  /** The CPU client and server are pinned to, for engines that pin their own server side (cnb-perf sessions). */
  serverCpu?: number
  /** UDP_STREAM only: pace the sender to this many bits per second (default: as fast as the path takes, as netperf). */
  udpRateBps?: number
}

export const isStream = (kind: TestKind) => kind === 'TCP_STREAM' || kind === 'UDP_STREAM'

/**
 * The axes that change the lab a datapath is measured on, beyond the datapath itself: the NIC offload profile of the
 * nodes' underlay devices (`nic`) and whether node-to-node traffic crosses a router (`underlay: routed`, the two-subnet
 * lab CrossSubnet needs). Only values that differ from the defaults are present, so a cell measured on the default lab
 * has an empty variant and the key it always had.
 */
export type Variant = Readonly<Record<string, string>>

export const variantDefaults: Variant = { nic: 'full', underlay: 'switched' }

/** `variant` without the axes at their default value, keys sorted: the canonical, stored form. */
export function canonicalVariant(variant: Variant): Variant {
  const entries = Object.entries(variant).filter(([k, v]) => variantDefaults[k] !== v)
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))
}

/** '' for the default lab, else "[nic=none,underlay=routed]". */
export function variantTag(variant: Variant): string {
  const entries = Object.entries(canonicalVariant(variant))
  return entries.length === 0 ? '' : `[${entries.map(([k, v]) => `${k}=${v}`).join(',')}]`
}

/** One cell of a run: what is measured, on which datapath and lab variant, by which engine. A cell gets N samples. */
export interface CellSpec {
  /** Stable identity within a run: datapath[variant]/test/size/parallel/placement. */
  key: string
  datapath: string
  variant: Variant
  test: TestKind
  size: number
  parallel: number
  placement: Placement
  engine: string
}

/** What identifies a cell within a run (stored cells carry test and placement as plain strings). */
export interface CellShape {
  datapath: string
  variant: Variant
  test: string
  size: number
  parallel: number
  placement: string
}

export function cellKey(c: CellShape): string {
  return `${testbedKey(c)}/${c.test}/${c.size}/${c.parallel}/${c.placement}`
}

/** The lab a cell is measured on: its datapath and variant. Cells with one testbed key share one lab. */
export function testbedKey(c: Pick<CellSpec, 'datapath' | 'variant'>): string {
  return `${c.datapath}${variantTag(c.variant)}`
}

/**
 * The one rule for "which cell is this cell's baseline": the baseline datapath measured the same way on the same kind
 * of lab (same test, size, flows, placement and variant: a routed datapath's baseline crosses the same router, a
 * datapath under a NIC profile is compared with the baseline under that profile).
 */
export function baselineKeyOf(c: CellShape, baseline: string): string {
  return cellKey({ ...c, datapath: baseline })
}
