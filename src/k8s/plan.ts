/**
 * What a cluster run measures: the same test matrix as a lab run, on four paths between the run's pods — the node
 * network (hostNetwork pair, the baseline), pod to pod across the two nodes and on one node, and pod to the ClusterIP
 * Service. Pure: the run's config in, the cells out, before anything touches a cluster (`k8s plan` prints them).
 */
import { servesStateless } from '../engines/cnb-perf-direct.js'
import type { RunConfig } from '../measure/config.js'
import { sizesFor } from '../measure/plan.js'
import type { Placement, TestKind } from '../measure/tests.js'
import type { PodRole } from './manifests.js'

export interface ClusterPath {
  /** The cell's datapath name in the store: the baseline, the cluster's pod network, or its Service path. */
  datapath: 'host' | 'pod' | 'pod-service'
  placement: Placement
  client: PodRole
  server: PodRole
  /** The client targets the Service's ClusterIP instead of the server pod's IP. */
  viaService: boolean
  what: string
}

export const clusterPaths: readonly ClusterPath[] = [
  { datapath: 'host', placement: 'inter-node', client: 'host-client', server: 'host-server', viaService: false, what: 'node to node (hostNetwork pods): the baseline' },
  { datapath: 'pod', placement: 'inter-node', client: 'client', server: 'server', viaService: false, what: 'pod to pod across the two nodes, through the CNI' },
  { datapath: 'pod', placement: 'intra-node', client: 'client-intra', server: 'server', viaService: false, what: 'pod to pod on one node' },
  { datapath: 'pod-service', placement: 'inter-node', client: 'client', server: 'server', viaService: true, what: 'pod to the ClusterIP Service in front of the server' },
]

export interface ClusterCell {
  path: ClusterPath
  test: TestKind
  size: number
  parallel: number
}

export const clusterPathNames = ['host', 'pod', 'pod-service'] as const

/**
 * Every path × test × size × flow count the config asks for: placements filter the pod-to-pod paths, `only` the paths.
 * The hostNetwork pair is always measured, for the tests another path measures (every test when asked for): the
 * inter-node paths' overheads need it. The intra-node pair has no hostNetwork counterpart (two hostNetwork pods on one
 * node share the node's stack), so it shows figures without an overhead, as intra-node lab cells do.
 */
export function clusterCells(config: Pick<RunConfig, 'tests' | 'sizes' | 'parallel' | 'placements'>, only: readonly string[] = clusterPathNames): ClusterCell[] {
  const measured = clusterPaths.filter((p) => p.datapath !== 'host' && only.includes(p.datapath) && (p.datapath !== 'pod' || config.placements.includes(p.placement)))
  const testsOf = (path: ClusterPath) => config.tests.filter((test) => !path.viaService || servesThroughService(test))
  const hostTests = only.includes('host') ? config.tests : config.tests.filter((test) => measured.some((p) => testsOf(p).includes(test)))
  const cellsOf = (path: ClusterPath, tests: readonly TestKind[]) => tests.flatMap((test) => sizesFor(test, config).flatMap((size) => config.parallel.map((parallel) => ({ path, test, size, parallel }))))
  return clusterPaths.flatMap((path) => (path.datapath === 'host' ? cellsOf(path, hostTests) : measured.includes(path) ? cellsOf(path, testsOf(path)) : []))
}

/**
 * The tests the pod-to-Service path measures: TCP_RR and TCP_CRR, by the stateless engine (every connection may reach
 * another endpoint; a Service's cost shows in connection setup and per request). Streams through a Service are one
 * connection like any other, measured on the pod-to-pod path.
 */
export const servesThroughService = (test: TestKind) => servesStateless(test)
