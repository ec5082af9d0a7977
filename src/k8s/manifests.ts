/**
 * The Kubernetes objects a cluster run creates, as typed objects (@kubernetes/client-node's models): one namespace
 * labelled with the run id; a server and a client pod pinned to two nodes (the pod-network pair), a second client on
 * the server's node (the intra-node pair), a hostNetwork server and client on the same two nodes (the baseline: the
 * node network in the same run, as the bank's bare-metal-vs-VM study measured it), and a ClusterIP Service in front
 * of the server (the pod-to-Service path). Pods run the engines image and sleep; engines are started through the exec
 * API. Nothing asks for privileges: the hostNetwork pods need host networking only, and say why in an annotation.
 * Pure: plan in, objects out. Validated against the Kubernetes OpenAPI schema in the tests.
 */
import type { V1Container, V1Namespace, V1Pod, V1Service, V1Toleration } from '@kubernetes/client-node'
import { SERVICE_PORT } from '../measure/servers.js'
import { version } from '../version.js'

export const RUN_LABEL = 'cnibench.io/run'
export const ROLE_LABEL = 'cnibench.io/role'
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cnibench', 'app.kubernetes.io/name': 'cnibench' }

/** The engines image (deploy/Dockerfile); `--image` names another, e.g. in a private registry. */
export const DEFAULT_IMAGE = `ghcr.io/cnibench/engines:${version}`

export interface ClusterPlanInput {
  runId: string
  namespace: string
  image: string
  serverNode: string
  clientNode: string
  /** Tolerate every taint, for clusters whose only schedulable nodes are tainted (control planes, dedicated pools). */
  tolerateTaints: boolean
}

/** The pods of a cluster run by role: the two pod-network ends, the intra-node client, the hostNetwork pair. */
export const podRoles = ['server', 'client', 'client-intra', 'host-server', 'host-client'] as const
export type PodRole = (typeof podRoles)[number]

export interface ClusterManifests {
  namespace: V1Namespace
  pods: V1Pod[]
  service: V1Service
}

/** Pod Security admission's per-namespace level. */
export const POD_SECURITY_LABEL = 'pod-security.kubernetes.io/enforce'

export function defaultNamespace(runId: string): string {
  return `cnibench-${runId}`
}

export function clusterManifests(input: ClusterPlanInput): ClusterManifests {
  const labels = { ...MANAGED_BY, [RUN_LABEL]: input.runId }
  // The baseline pair runs with host networking, which Pod Security's `baseline` and `restricted` levels refuse; the
  // run's own namespace asks for the level that allows it (a cluster may still refuse the label: see apiError).
  const namespace: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: input.namespace, labels: { ...labels, [POD_SECURITY_LABEL]: 'privileged' } } }
  const pods = podRoles.map((role) => pod(input, role, labels))
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'server', namespace: input.namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: { [RUN_LABEL]: input.runId, [ROLE_LABEL]: 'server' },
      // The stateless engine (cnb-perf-direct) serves every connection on the Service's one port: a session's
      // ephemeral data port would not be a Service port, so the session engine cannot stand behind a Service.
      ports: [{ name: 'engine', protocol: 'TCP', port: SERVICE_PORT, targetPort: SERVICE_PORT }],
    },
  }
  return { namespace, pods, service }
}

/** Where each role runs: the server's node hosts the server, the intra-node client and the hostNetwork server. */
export function nodeOf(input: Pick<ClusterPlanInput, 'serverNode' | 'clientNode'>, role: PodRole): string {
  return role === 'client' || role === 'host-client' ? input.clientNode : input.serverNode
}

function pod(input: ClusterPlanInput, role: PodRole, labels: Record<string, string>): V1Pod {
  const hostNetwork = role.startsWith('host-')
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: role,
      namespace: input.namespace,
      labels: { ...labels, [ROLE_LABEL]: role },
      ...(hostNetwork ? { annotations: { 'cnibench.io/why-host-network': 'baseline: the node network, measured in the same run as the pod network' } } : {}),
    },
    spec: {
      // Pinned by the node's hostname label, so the scheduler still checks resources and taints.
      nodeSelector: { 'kubernetes.io/hostname': nodeOf(input, role) },
      ...(hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      ...(input.tolerateTaints ? { tolerations: [{ operator: 'Exists' } satisfies V1Toleration] } : {}),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [engineContainer(input.image)],
      volumes: [{ name: 'work', emptyDir: {} }],
    },
  }
}

/**
 * The engines container sleeps; every engine run is an exec. No CPU limit: a CFS quota throttles a traffic engine in
 * bursts and would measure the quota, not the datapath. The request keeps the pod from being the first evicted.
 */
function engineContainer(image: string): V1Container {
  return {
    name: 'engines',
    image,
    command: ['sleep', 'infinity'],
    resources: { requests: { cpu: '100m', memory: '64Mi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [{ name: 'work', mountPath: '/tmp' }],
  }
}
