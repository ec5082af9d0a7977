/**
 * A Kubernetes cluster as the place a run measures: the run's namespace, pods and Service (manifests.ts) created
 * through the API on first use, waited for until Running (or a one-line error naming the pod and its last event),
 * and three testbeds over them — the hostNetwork pair (the baseline), the pod network, the pod-to-Service path — whose
 * workloads exec the engines in the pods. Closing deletes the namespace and waits until it is gone. `cleanCluster`
 * removes what a killed run left, by label.
 */
import type { CoreV1Api, KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node'
import { CnibenchError } from '../errors.js'
import { interruptedError } from '../exec/run.js'
import type { BuiltTestbed, Testbed, TestbedProvider } from '../measure/testbed.js'
import type { Placement } from '../measure/tests.js'
import { PodWorkload } from './pod-workload.js'
import type { CellRecord } from '../store/db.js'
import { clusterManifests, podRoles, RUN_LABEL, type ClusterManifests, type ClusterPlanInput, type PodRole } from './manifests.js'
import { execInPod, messageOf } from './exec.js'
import { agentUsage, cniMode, nodeFacts, podMtu } from './facts.js'
import { clusterPaths } from './plan.js'

export interface ClusterConnection {
  kc: KubeConfig
  core: CoreV1Api
}

/** The cluster the kubeconfig (and context) name; nothing is contacted yet. */
export async function connect(opts: { kubeconfig?: string; context?: string }): Promise<ClusterConnection> {
  const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig)
    else kc.loadFromDefault()
  } catch (error) {
    throw new CnibenchError('E_USAGE', `cannot read the kubeconfig: ${messageOf(error)}`, { hint: 'give --kubeconfig FILE, or set KUBECONFIG' })
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new CnibenchError('E_USAGE', `no context "${opts.context}" in the kubeconfig`, { hint: `choose one of: ${kc.getContexts().map((c) => c.name).join(', ')}` })
    }
    kc.setCurrentContext(opts.context)
  }
  return { kc, core: kc.makeApiClient(CoreV1Api) }
}

/** An API failure as one line: who refused what (RBAC names the verb and resource), or why the server is unreachable. */
function apiError(action: string, error: unknown): CnibenchError {
  const code = (error as { code?: number }).code
  const body = (error as { body?: unknown }).body
  const message = (typeof body === 'string' ? safeJson(body)?.message : (body as { message?: string } | undefined)?.message) ?? messageOf(error)
  if (code === 403 && /PodSecurity/.test(message)) {
    return new CnibenchError('E_RUN', `refused to ${action} by Pod Security admission: ${message}`, { hint: 'the hostNetwork baseline pair needs the privileged level, which the run\'s namespace asks for with the label pod-security.kubernetes.io/enforce=privileged: let your policy allow that label on namespaces cnibench-*, or exempt them in the cluster\'s Pod Security admission configuration' })
  }
  if (code === 403) return new CnibenchError('E_RUN', `forbidden to ${action}: ${message}`, { hint: 'grant the RBAC in deploy/rbac.yaml to the user or service account cnibench runs as' })
  return new CnibenchError('E_RUN', `cannot ${action}: ${message}`)
}

/**
 * The two nodes: as given (each checked to exist), or the first two schedulable workers (Ready, not cordoned, no
 * NoSchedule taint unless tolerated, not a control plane).
 */
export async function chooseNodes(core: CoreV1Api, given: { serverNode?: string; clientNode?: string; tolerateTaints: boolean }): Promise<{ serverNode: string; clientNode: string; nodes: V1Node[] }> {
  const nodes = (await core.listNode().catch((e: unknown) => { throw apiError('list nodes', e) })).items
  const names = nodes.map((n) => n.metadata?.name ?? '')
  for (const name of [given.serverNode, given.clientNode]) {
    if (name !== undefined && !names.includes(name)) throw new CnibenchError('E_USAGE', `node "${name}" does not exist`, { hint: `choose from: ${names.join(', ')}` })
  }
  const usable = nodes.filter((n) => isSchedulable(n, given.tolerateTaints)).map((n) => n.metadata?.name as string)
  const workers = usable.filter((name) => !isControlPlane(nodes.find((n) => n.metadata?.name === name) as V1Node))
  const pool = workers.length >= 2 ? workers : usable
  const serverNode = given.serverNode ?? pool.find((n) => n !== given.clientNode)
  const clientNode = given.clientNode ?? pool.find((n) => n !== serverNode)
  if (!serverNode || !clientNode || serverNode === clientNode) {
    throw new CnibenchError('E_USAGE', `the cluster has fewer than two schedulable nodes (${usable.join(', ') || 'none'})`, { hint: 'give --server-node and --client-node, or --tolerate-taints to use tainted nodes' })
  }
  return { serverNode, clientNode, nodes }
}

function isSchedulable(node: V1Node, tolerateTaints: boolean): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false
  const tainted = (node.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
  return ready && node.spec?.unschedulable !== true && (tolerateTaints || !tainted)
}

function isControlPlane(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {}
  return 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels
}

/** How long pods may take to run (image pulls on a cold node take a while); CNIBENCH_K8S_POD_TIMEOUT_S overrides it. */
const POD_READY_TIMEOUT_MS = (Number(process.env['CNIBENCH_K8S_POD_TIMEOUT_S']) || 120) * 1000
const NAMESPACE_GONE_TIMEOUT_MS = 180_000

interface ClusterObjects {
  pods: Map<PodRole, { ip: string; node: string }>
  clusterIp: string
  /** Read from inside the pods and through the API once they run (facts.ts). */
  facts: Record<string, unknown>
}

/** Namespaces this process created and has not deleted yet: an interrupt that cannot wait deletes them (CLI). */
const ownNamespaces = new Map<string, CoreV1Api>()

/** Ask for the deletion of every namespace this process created, without waiting (the last resort of an interrupt). */
export async function deleteOwnNamespacesNow(): Promise<string[]> {
  const names = [...ownNamespaces.keys()]
  await Promise.allSettled([...ownNamespaces].map(([name, core]) => core.deleteNamespace({ name })))
  return names
}

export class ClusterTestbeds implements TestbedProvider {
  private created: Promise<ClusterObjects> | undefined
  /** Set once the namespace is ours: only then does close() delete it (never a namespace someone else owns). */
  private ownsNamespace = false
  private readonly testbeds = new Map<string, Testbed>()

  constructor(
    private readonly connection: ClusterConnection,
    private readonly input: ClusterPlanInput,
    private readonly facts: Record<string, unknown>,
    private readonly signal?: AbortSignal,
    private readonly onNote: (message: string) => void = () => {},
  ) {}

  async open(cell: CellRecord, onBuilt: (built: BuiltTestbed) => void): Promise<Testbed> {
    const key = cell.datapath
    const existing = this.testbeds.get(key)
    if (existing) return existing
    const objects = await (this.created ??= this.createObjects())
    const testbed = this.testbed(key, objects)
    this.testbeds.set(key, testbed)
    const pods = Object.fromEntries([...objects.pods].map(([role, p]) => [role, p]))
    onBuilt({ key, datapath: cell.datapath, variant: cell.variant, facts: { ...this.facts, ...objects.facts, namespace: this.input.namespace, serverNode: this.input.serverNode, clientNode: this.input.clientNode, pods, clusterIp: objects.clusterIp } })
    return testbed
  }

  /** Delete the run's namespace and wait until it is gone (its pods and Service go with it). */
  async close(): Promise<void> {
    this.created = undefined
    if (!this.ownsNamespace) return
    await deleteNamespaceAndWait(this.connection.core, this.input.namespace)
    this.ownsNamespace = false
    ownNamespaces.delete(this.input.namespace)
  }

  private testbed(datapath: string, objects: ClusterObjects): Testbed {
    const { kc } = this.connection
    const workload = (role: PodRole, target?: string) => {
      const pod = objects.pods.get(role) as { ip: string; node: string }
      return new PodWorkload(kc, { namespace: this.input.namespace, pod: role, container: 'engines' }, role, target ?? pod.ip, pod.ip, pod.node, this.signal)
    }
    return {
      key: datapath,
      hasProbe: true, // deploy/Dockerfile puts cnb-probe in the engines image
      endpoints: (placement: Placement) => {
        const path = clusterPaths.find((p) => p.datapath === datapath && p.placement === placement)
        if (!path) throw new CnibenchError('E_USAGE', `a cluster run has no ${datapath} path for ${placement}`)
        return { client: workload(path.client), server: workload(path.server, path.viaService ? objects.clusterIp : undefined) }
      },
    }
  }

  private async createObjects(): Promise<ClusterObjects> {
    const { core } = this.connection
    if (this.signal?.aborted) throw interruptedError()
    const manifests = clusterManifests(this.input)
    this.onNote(`creating namespace ${this.input.namespace} on ${this.input.serverNode} and ${this.input.clientNode}`)
    await this.createNamespace(manifests.namespace)
    for (const pod of manifests.pods) {
      await core.createNamespacedPod({ namespace: this.input.namespace, body: pod }).catch((e: unknown) => { throw apiError(`create pod ${pod.metadata?.name}`, e) })
    }
    const service = await core.createNamespacedService({ namespace: this.input.namespace, body: manifests.service }).catch((e: unknown) => { throw apiError('create the Service', e) })
    const pods = new Map<PodRole, { ip: string; node: string }>()
    for (const role of podRoles) pods.set(role, await this.waitRunning(role))
    return { pods, clusterIp: service.spec?.clusterIP ?? '', facts: await this.readFacts() }
  }

  /**
   * Create the run's namespace. One still terminating from an earlier run (a fixed -n) is waited for first; one that
   * is active belongs to something else and is refused.
   */
  private async createNamespace(body: ClusterManifests['namespace']): Promise<void> {
    const { core } = this.connection
    const name = this.input.namespace
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await core.createNamespace({ body }).then(() => true, (e: unknown) => e)
      if (created === true) {
        this.ownsNamespace = true
        ownNamespaces.set(name, core)
        return
      }
      if ((created as { code?: number }).code !== 409) throw apiError(`create namespace ${name}`, created)
      const existing = await core.readNamespace({ name }).catch(() => undefined)
      if (existing?.status?.phase !== 'Terminating') {
        throw new CnibenchError('E_USAGE', `namespace ${name} already exists`, { hint: 'give another -n, or remove leftovers of earlier runs with `cnibench k8s clean`' })
      }
      this.onNote(`namespace ${name} is still terminating from an earlier run; waiting until it is gone`)
      await deleteNamespaceAndWait(core, name)
    }
  }

  /** Node, MTU, NIC, CNI-mode and CNI-agent facts, read once the pods run. */
  private async readFacts(): Promise<Record<string, unknown>> {
    const { kc, core } = this.connection
    const exec = (pod: string, argv: string[]) => execInPod(kc, { namespace: this.input.namespace, pod, container: 'engines' }, argv, { allowFailure: true })
    const { serverNode, clientNode } = this.input
    const cni = String(this.facts['cni'] ?? '')
    // A DaemonSet's pods are `<name>-<suffix>`: cilium-x7k2p, not cilium-operator-… or cilium-envoy-…. The name is a
    // DNS label, so it holds nothing a pattern would read as syntax.
    const daemonSet = this.facts['cniDaemonSet'] as string | undefined
    const agent = daemonSet ? new RegExp(`^${daemonSet}-[a-z0-9]+$`) : undefined
    return {
      nodeFacts: { [serverNode]: await nodeFacts(exec, 'host-server'), [clientNode]: await nodeFacts(exec, 'host-client') },
      podMtu: await podMtu(exec, 'server'),
      cniMode: await cniMode(kc, core, cni),
      cniAgent: agent
        ? { [serverNode]: await agentUsage(core, serverNode, agent), [clientNode]: await agentUsage(core, clientNode, agent) }
        : 'not read (CNI not detected)',
    }
  }

  /** Poll until the pod runs with an IP; a clear timeout names the pod and its last event (why it is Pending). */
  private async waitRunning(role: PodRole): Promise<{ ip: string; node: string }> {
    const { core } = this.connection
    const deadline = Date.now() + POD_READY_TIMEOUT_MS
    let pod: V1Pod | undefined
    while (Date.now() < deadline) {
      if (this.signal?.aborted) throw interruptedError()
      pod = await core.readNamespacedPod({ name: role, namespace: this.input.namespace }).catch((e: unknown) => { throw apiError(`read pod ${role}`, e) })
      const phase = pod.status?.phase
      if (phase === 'Running' && pod.status?.podIP) return { ip: pod.status.podIP, node: pod.spec?.nodeName ?? '' }
      if (phase === 'Failed' || phase === 'Succeeded') break
      await new Promise((r) => setTimeout(r, 250))
    }
    const events = await core.listNamespacedEvent({ namespace: this.input.namespace, fieldSelector: `involvedObject.name=${role}` }).catch(() => ({ items: [] }))
    const when = (e: (typeof events.items)[number]) => String(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '')
    const last = [...events.items].sort((a, b) => when(a).localeCompare(when(b))).at(-1)
    const why = last ? `${last.reason ?? ''}: ${last.message ?? ''}` : 'no events'
    throw new CnibenchError('E_RUN', `pod ${this.input.namespace}/${role} is ${pod?.status?.phase ?? 'missing'} after ${POD_READY_TIMEOUT_MS / 1000} s (last event ${why})`, {
      hint: 'check the image (--image), the nodes (--server-node, --client-node) and their taints (--tolerate-taints)',
    })
  }
}

/** Delete a namespace and wait until the API no longer has it (finalizers run first: its pods terminate). */
async function deleteNamespaceAndWait(core: CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespace({ name }).catch((e: unknown) => {
    // 404: already gone; 409: already terminating (the API server refuses a second delete while finalizers run).
    const code = (e as { code?: number }).code
    if (code !== 404 && code !== 409) throw apiError(`delete namespace ${name}`, e)
  })
  const deadline = Date.now() + NAMESPACE_GONE_TIMEOUT_MS
  while (Date.now() < deadline) {
    const gone = await core.readNamespace({ name }).then(() => false, (e: unknown) => (e as { code?: number }).code === 404)
    if (gone) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new CnibenchError('E_RUN', `namespace ${name} is still terminating after ${NAMESPACE_GONE_TIMEOUT_MS / 1000} s`, { hint: `see \`kubectl get ns ${name} -o yaml\` for what holds it` })
}

/** Every namespace a cnibench run left (by its run label), deleted and waited for; returns their names. */
export async function cleanCluster(core: CoreV1Api): Promise<string[]> {
  const list = await core.listNamespace({ labelSelector: RUN_LABEL }).catch((e: unknown) => { throw apiError('list namespaces', e) })
  const names = list.items.map((n) => n.metadata?.name as string)
  for (const name of names) await deleteNamespaceAndWait(core, name)
  return names
}

function safeJson(text: string): { message?: string } | undefined {
  try {
    return JSON.parse(text) as { message?: string }
  } catch {
    return undefined
  }
}
