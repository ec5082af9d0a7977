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
 * The axes a cell varies along beyond its datapath and test, as data. Each value is a string; a cell stores only the
 * axes that differ from their default, so a cell of the default lab has an empty variant and the key it always had.
 *
 * An axis is one of two kinds, and the kind alone decides which cell is a cell's baseline (baselineKeyOf):
 *  - lab: it changes the lab a datapath is measured on — the NIC offload profile of the nodes' underlay devices
 *    (`nic`), a router between the nodes (`underlay: routed`). The baseline datapath is measured on the same kind of
 *    lab, so an overhead compares like with like.
 *  - treatment: it loads the datapath itself (N policy rules, N Services). A treated cell's baseline is the same cell
 *    untreated (the axis at its default, its zero), so the overhead is the treatment's cost.
 */
export interface VariantAxis {
  kind: 'lab' | 'treatment'
  /** The value a cell has when the axis is not given: not stored, and not shown. */
  default: string
  /** What the axis varies, in words (for help and reports). */
  describe: string
}

export type Variant = Readonly<Record<string, string>>

export const variantAxes: Readonly<Record<string, VariantAxis>> = {
  nic: { kind: 'lab', default: 'full', describe: "NIC offload profile of the nodes' underlay devices" },
  underlay: { kind: 'lab', default: 'switched', describe: 'whether node-to-node traffic crosses a router (routed) or one L2 segment (switched)' },
  policy: { kind: 'treatment', default: 'none', describe: 'network policy rules that never match the measured flow, as IMPL:N[:established-first] (measure/treatments.ts)' },
  services: { kind: 'treatment', default: 'none', describe: 'ClusterIP Services in front of the server, as PROXY:N; the last one is measured (measure/treatments.ts)' },
}

/** An axis's value in `variant` (its default when absent). */
export function axisValue(variant: Variant, axis: string): string {
  return variant[axis] ?? (variantAxes[axis]?.default as string)
}

/** `variant` without the axes at their default value, keys sorted: the canonical, stored form. */
export function canonicalVariant(variant: Variant, axes: Readonly<Record<string, VariantAxis>> = variantAxes): Variant {
  const entries = Object.entries(variant).filter(([k, v]) => axes[k]?.default !== v)
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))
}

/** Whether a variant loads the datapath with a treatment (policy rules, Services) rather than only shaping the lab. */
export function isTreated(variant: Variant, axes: Readonly<Record<string, VariantAxis>> = variantAxes): boolean {
  return Object.keys(canonicalVariant(variant, axes)).some((axis) => axes[axis]?.kind === 'treatment')
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
 * The one rule for "which cell is this cell's baseline" (see VariantAxis for the two kinds of axis):
 *  - a treated cell: the same cell with every treatment axis at its default (N = 0), on the same lab;
 *  - otherwise: the baseline datapath measured the same way on the same kind of lab (same test, size, flows,
 *    placement and lab axes: a routed datapath's baseline crosses the same router, a datapath under a NIC profile is
 *    compared with the baseline under that profile).
 */
export function baselineKeyOf(c: CellShape, baseline: string, axes: Readonly<Record<string, VariantAxis>> = variantAxes): string {
  if (isTreated(c.variant, axes)) {
    const treated = Object.keys(axes).filter((k) => axes[k]?.kind === 'treatment')
    return cellKey({ ...c, variant: withoutAxes(c.variant, treated, axes) })
  }
  return cellKey({ ...c, datapath: baseline })
}

/** `variant` with the `axes` left out (at their defaults), made canonical. */
export function withoutAxes(variant: Variant, axes: readonly string[], registry: Readonly<Record<string, VariantAxis>> = variantAxes): Variant {
  return canonicalVariant(Object.fromEntries(Object.entries(variant).filter(([k]) => !axes.includes(k))), registry)
}

/** Whether two cells are the same but for the `except` axes (e.g. two runs' cells under different NIC profiles). */
export function sameShapeExcept(a: CellShape, b: CellShape, except: readonly string[]): boolean {
  const without = (c: CellShape) => cellKey({ ...c, variant: withoutAxes(c.variant, except) })
  return without(a) === without(b)
}
