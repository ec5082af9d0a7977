/**
 * A cluster run, prepared: connect, choose the node pair, read the cluster's facts from the API (Kubernetes version,
 * the nodes' kernel, OS, instance type and zone labels, the CNI's DaemonSets; facts.ts reads the rest from inside the
 * pods once they run), and turn the matrix
 * into stored cells over the cluster's paths. The session (measure/session.ts) then measures it like a lab run, on
 * ClusterTestbeds, so lab and cluster share one measurement code path and one store.
 */
import type { AppsV1Api, V1Node } from '@kubernetes/client-node'
import { chooseEngine } from '../engines/index.js'
import type { RunConfig } from '../measure/config.js'
import { newRunId, pinCpu } from '../measure/runner.js'
import type { PlannedRun } from '../measure/session.js'
import { cellKey } from '../measure/tests.js'
import { version } from '../version.js'
import { chooseNodes, connect, type ClusterConnection } from './cluster.js'
import { defaultNamespace, type ClusterPlanInput } from './manifests.js'
import { clusterCells, servesThroughService } from './plan.js'

/** The engines deploy/Dockerfile puts in the image (netperf is not in Debian main). */
const IMAGE_ENGINES = ['cnb-perf', 'cnb-perf-direct', 'iperf3', 'sockperf']

export interface ClusterRunOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  image: string
  serverNode?: string
  clientNode?: string
  tolerateTaints: boolean
  /** The paths to measure (default all: host, pod, pod-service). */
  paths?: string[]
}

export interface PreparedClusterRun {
  runId: string
  planned: PlannedRun
  connection: ClusterConnection
  input: ClusterPlanInput
  facts: Record<string, unknown>
}

export async function prepareClusterRun(asked: RunConfig, opts: ClusterRunOptions): Promise<PreparedClusterRun> {
  // Pods are not pinned: --pin picks a CPU of this host, and the pods run on the nodes' CPUs, which cnibench does not
  // own. The engines still run one client per flow, as in a lab.
  const config: RunConfig = { ...asked, pin: 'none', baseline: 'host' }
  const connection = await connect({ ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context ? { context: opts.context } : {}) })
  const { serverNode, clientNode, nodes } = await chooseNodes(connection.core, { ...opts })
  const runId = newRunId()
  const input = { runId, namespace: opts.namespace ?? defaultNamespace(runId), image: opts.image, serverNode, clientNode, tolerateTaints: opts.tolerateTaints }
  const facts = await clusterFacts(connection, nodes.filter((n) => [serverNode, clientNode].includes(n.metadata?.name ?? '')))
  const cells = clusterCells(config, opts.paths).map(({ path, test, size, parallel }) => {
    const shape = { datapath: path.datapath, variant: {}, test, size, parallel, placement: path.placement }
    // Engines run in the image (deploy/Dockerfile), not on this host.
    // Through the Service every connection stands alone (cnb-perf-direct): a session's data port is not a Service port.
    const engine = chooseEngine(test, (e) => IMAGE_ENGINES.includes(e.name), path.viaService ? 'cnb-perf-direct' : config.engines?.[test])
    return {
      ...shape,
      key: cellKey(shape),
      engine: engine.name,
      engineVersion: engine.name === 'cnb-perf' ? `cnibench ${version}` : `from the image ${opts.image}`,
      context: { implementation: `the cluster's CNI (${String(facts['cni'] ?? 'not detected')})`, path: path.what, image: opts.image, pinnedCpu: pinCpu({ test, parallel }, config) ?? null, warmup: engine.warmup },
    }
  })
  const environment = { kind: 'kubernetes', ...facts }
  const notes = asked.pin !== 'none' ? ['cluster pods are not pinned to a CPU (--pin applies to labs on this host); a node\'s other pods share its CPUs'] : []
  if (cells.some((c) => c.datapath === 'pod-service')) {
    notes.push('the pod-to-Service path runs cnb-perf-direct (no control channel: each connection may reach another endpoint), the other paths cnb-perf sessions: the same transaction loops, but its servers are started per sample' +
      (config.tests.some((t) => !servesThroughService(t)) ? '; it measures TCP_RR and TCP_CRR only' : '') +
      (config.tests.some((t) => servesThroughService(t) && config.engines?.[t] !== undefined) ? '; --engine choices apply to the other paths' : ''))
  }
  return { runId, planned: { kind: 'k8s', config, environment, cells, skipped: [], notes }, connection, input, facts }
}

/** What is known of the cluster without touching its nodes: versions, node facts from the API, the CNI's DaemonSets. */
async function clusterFacts(connection: ClusterConnection, nodes: V1Node[]): Promise<Record<string, unknown>> {
  const { VersionApi, AppsV1Api } = await import('@kubernetes/client-node')
  const serverVersion = await connection.kc.makeApiClient(VersionApi).getCode().then((v) => v.gitVersion, (e: unknown) => `unknown (${String((e as Error).message)})`)
  return {
    kubernetesVersion: serverVersion,
    nodes: nodes.map((n) => ({
      name: n.metadata?.name,
      kernel: n.status?.nodeInfo?.kernelVersion,
      os: n.status?.nodeInfo?.osImage,
      kubelet: n.status?.nodeInfo?.kubeletVersion,
      containerRuntime: n.status?.nodeInfo?.containerRuntimeVersion,
      cpu: n.status?.capacity?.['cpu'],
      instanceType: n.metadata?.labels?.['node.kubernetes.io/instance-type'] ?? null,
      zone: n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? null,
    })),
    ...(await detectCni(connection.kc.makeApiClient(AppsV1Api))),
  }
}

const CNI_DAEMONSETS: [RegExp, string][] = [
  [/^cilium$/, 'Cilium'],
  [/^calico-node$/, 'Calico'],
  [/^canal$/, 'Canal'],
  [/flannel/, 'Flannel'],
  [/^antrea-agent$/, 'Antrea'],
  [/^kube-ovn-cni$/, 'Kube-OVN'],
  [/^weave-net$/, 'Weave Net'],
]

/**
 * The CNI from its DaemonSet and image tag, e.g. "Calico (calico/node:v3.30.1)", says why when it cannot tell; and the
 * DaemonSet's name, whose pods (`<name>-<suffix>`) are the CNI agent the run reads the CPU and memory of.
 */
async function detectCni(apps: AppsV1Api): Promise<{ cni: string; cniDaemonSet?: string }> {
  const list = await apps.listDaemonSetForAllNamespaces().catch((e: unknown) => e as Error)
  if (list instanceof Error) return { cni: `not detected (cannot list DaemonSets: ${list.message})` }
  for (const ds of list.items) {
    const name = ds.metadata?.name ?? ''
    const match = CNI_DAEMONSETS.find(([re]) => re.test(name))
    if (match) return { cni: `${match[1]} (${ds.spec?.template.spec?.containers[0]?.image ?? 'image unknown'})`, cniDaemonSet: name }
  }
  return { cni: 'not detected (no known CNI DaemonSet)' }
}
