/**
 * A Kubernetes API server for the tests, written for them (no real one can be installed on these machines). It
 * implements what cnibench uses, as the real one answers: /version; nodes; namespaces with finalization (a deleted
 * namespace is Terminating until its pods are gone); pods with phases, node selection and events (an unknown node
 * leaves a pod Pending with a FailedScheduling event); services with a ClusterIP; DaemonSets for CNI detection; exec
 * over WebSocket with the channel subprotocol (v5 and v4.channel.k8s.io: 1 stdout, 2 stderr, 3 status as a V1Status);
 * and RBAC refusals (403 naming the verb and resource) on demand.
 *
 * To make exec real, each pod is bound to a namespace of a lab the test built: pods on a node take that node's lab
 * pods in creation order, hostNetwork pods the node's own namespace, and commands run there (`ip netns exec`), with
 * the engines image's paths (/opt/cnibench) mapped to this checkout. Calico IPPools and the kubelet summary (through
 * the node proxy) are served with constant figures. Services carry traffic as kube-proxy's iptables mode makes them
 * (cnibench's own layout of it, lab/services/iptables.ts, in every node's namespace, reprogrammed as endpoints come
 * up). Not emulated: images are not pulled, and no TLS or authentication is checked.
 */
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { run } from '../../src/exec/run.js'
import { kubeProxyIptablesText } from '../../src/lab/services/iptables.js'
import type { LabRecord } from '../../src/lab/state.js'
import { packageRoot } from '../../src/system/paths.js'

interface FakePod {
  name: string
  namespace: string
  node: string | undefined
  hostNetwork: boolean
  phase: 'Pending' | 'Running'
  netns: string | undefined
  ip: string | undefined
  events: { reason: string; message: string }[]
  body: Record<string, unknown>
}

export interface FakeKubeOptions {
  lab: LabRecord
  /** Node names as the cluster calls them, in the lab's node order. */
  nodeNames?: string[]
  /** Refuse this verb on this resource (RBAC), as a real API server would for a user without the grant. */
  forbid?: { verb: string; resource: string }
  /** Close the exec connection of a command matching this, without a status (a dropped connection). */
  dropExec?: RegExp
  /** Milliseconds a pod stays Pending before it runs. */
  startDelayMs?: number
}

export interface FakeKube {
  url: string
  kubeconfig(): string
  namespaces(): string[]
  /**
   * A namespace left terminating by an earlier run, gone `ms` after the first request that sees it (a read of it, or a
   * list), so a slow start of the CLI cannot miss it.
   */
  terminating(name: string, ms: number): void
  /** An active namespace a killed run left. */
  leftover(name: string): void
  close(): Promise<void>
}

export async function startFakeKube(opts: FakeKubeOptions): Promise<FakeKube> {
  const nodeNames = opts.nodeNames ?? opts.lab.plan.nodes.map((n) => n.name)
  const namespaces = new Map<string, { labels: Record<string, string>; phase: 'Active' | 'Terminating' }>()
  const pods = new Map<string, FakePod>()
  const services = new Map<string, Record<string, unknown>>()
  const labNode = (node: string) => opts.lab.plan.nodes[nodeNames.indexOf(node)]
  /** Terminating namespaces whose countdown has not started yet, with its length. */
  const unseenTerminating = new Map<string, number>()
  function startCountdowns(kind: string | undefined, name: string | undefined): void {
    if (kind !== 'namespaces') return
    for (const [ns, ms] of unseenTerminating) {
      if (name && name !== ns) continue
      unseenTerminating.delete(ns)
      setTimeout(() => namespaces.delete(ns), ms)
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, status(500, 'InternalError', String(e))))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    // client-node sends the node proxy's path as one encoded segment (stats%2Fsummary); the API server decodes it.
    url.pathname = decodeURIComponent(url.pathname)
    const p = url.pathname.split('/').filter(Boolean)
    const method = req.method ?? 'GET'
    const body = method === 'POST' ? JSON.parse(await readBody(req)) as Record<string, unknown> : {}
    const verb = method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : p.length % 2 === 0 ? 'get' : 'list'
    const resource = p[0] === 'api' ? (p.at(-1) === 'exec' ? 'pods/exec' : p[p.length % 2 === 0 ? p.length - 2 : p.length - 1]) : p[p.length % 2 === 1 ? p.length - 1 : p.length - 2]
    if (opts.forbid && opts.forbid.verb === verb && opts.forbid.resource === resource) {
      return send(res, 403, status(403, 'Forbidden', `${resource} is forbidden: User "cnibench-test" cannot ${verb} resource "${resource}" in API group ""${p[3] && p[2] === 'namespaces' ? ` in the namespace "${p[3]}"` : ''}`))
    }
    if (url.pathname === '/version') return send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-cnibench-fake' })
    if (url.pathname === '/apis/crd.projectcalico.org/v1/ippools') return send(res, 200, { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPoolList', metadata: {}, items: [ipPool(opts.lab.datapath)] })
    if (/^\/api\/v1\/nodes\/[^/]+\/proxy\/stats\/summary$/.test(url.pathname)) return send(res, 200, summary(p[3] as string))
    if (url.pathname === '/apis/apps/v1/daemonsets') return send(res, 200, { kind: 'DaemonSetList', apiVersion: 'apps/v1', metadata: {}, items: [daemonSet(opts.lab.datapath)] })
    if (p[0] !== 'api' || p[1] !== 'v1') return send(res, 404, status(404, 'NotFound', `the server could not find the requested resource`))
    const [, , kind, name, sub, subName, leaf] = p
    startCountdowns(kind, name)
    if (kind === 'nodes' && !name) return send(res, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: nodeNames.map(node) })
    if (kind === 'nodes' && name) return nodeNames.includes(name) ? send(res, 200, node(name)) : send(res, 404, status(404, 'NotFound', `nodes "${name}" not found`))
    if (kind !== 'namespaces') return send(res, 404, status(404, 'NotFound', 'not found'))
    if (!name && method === 'POST') return createNamespace(res, body)
    if (!name) return send(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [...namespaces].filter(([, ns]) => matchesSelector(ns.labels, url.searchParams.get('labelSelector'))).map(([n, ns]) => namespaceObject(n, ns)) })
    const ns = namespaces.get(name)
    if (!sub) {
      if (!ns) return send(res, 404, status(404, 'NotFound', `namespaces "${name}" not found`))
      if (method === 'DELETE') return deleteNamespace(res, name)
      return send(res, 200, namespaceObject(name, ns))
    }
    if (!ns) return send(res, 404, status(404, 'NotFound', `namespaces "${name}" not found`))
    if (sub === 'pods' && method === 'POST') return createPod(res, name, body)
    if (sub === 'pods' && subName && !leaf) {
      const pod = pods.get(`${name}/${subName}`)
      return pod ? send(res, 200, podObject(pod)) : send(res, 404, status(404, 'NotFound', `pods "${subName}" not found`))
    }
    if (sub === 'services' && method === 'POST') {
      const svc = { ...body, spec: { ...(body['spec'] as object), clusterIP: `10.96.0.${10 + services.size}` } }
      services.set(`${name}/${(body['metadata'] as { name: string }).name}`, svc)
      await programServices()
      return send(res, 201, svc)
    }
    if (sub === 'events') {
      const who = (url.searchParams.get('fieldSelector') ?? '').replace('involvedObject.name=', '')
      const events = pods.get(`${name}/${who}`)?.events ?? []
      return send(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: events.map((e, i) => ({ metadata: { name: `${who}.${i}`, namespace: name }, involvedObject: { kind: 'Pod', name: who }, ...e })) })
    }
    return send(res, 404, status(404, 'NotFound', 'not found'))
  }

  /**
   * kube-proxy's job: every Service's ClusterIP DNATed to its ready endpoints, in every node's namespace. One
   * programming at a time (as kube-proxy's sync loop); a failure is logged, and the run's own checks then fail.
   */
  let programming = Promise.resolve()
  function programServices(): Promise<void> {
    programming = programming.then(syncServices).catch((e: unknown) => console.error(`fake kube-proxy: ${String(e)}`))
    return programming
  }
  async function syncServices(): Promise<void> {
    const entries = [...services].flatMap(([key, svc]) => {
      const namespace = key.split('/')[0]
      const spec = svc['spec'] as { clusterIP: string; selector: Record<string, string>; ports: { port: number; targetPort: number }[] }
      const port = spec.ports[0] as { port: number; targetPort: number }
      const ready = [...pods.values()].filter((pod) => pod.namespace === namespace && pod.ip && matchesSelector((pod.body['metadata'] as { labels?: Record<string, string> }).labels ?? {}, Object.entries(spec.selector).map(([k, v]) => `${k}=${v}`).join(',')))
      return ready.length === 0 ? [] : [{ name: key, ip: spec.clusterIP, port: port.port, endpoints: ready.map((pod) => ({ ip: pod.ip as string, port: port.targetPort })) }]
    })
    for (const node of opts.lab.plan.nodes) {
      const text = kubeProxyIptablesText({ nodeNetns: node.netns, hook: 'prerouting', clientNetns: '', clientDevice: '', lab: opts.lab.name }, entries)
      await run(['ip', 'netns', 'exec', node.netns, 'iptables-legacy-restore', '-w'], { input: text })
    }
  }

  function createNamespace(res: ServerResponse, body: Record<string, unknown>): void {
    const meta = body['metadata'] as { name: string; labels?: Record<string, string> }
    const existing = namespaces.get(meta.name)
    if (existing) return send(res, 409, status(409, 'AlreadyExists', existing.phase === 'Terminating' ? `object is being deleted: namespaces "${meta.name}" already exists` : `namespaces "${meta.name}" already exists`))
    namespaces.set(meta.name, { labels: meta.labels ?? {}, phase: 'Active' })
    send(res, 201, namespaceObject(meta.name, namespaces.get(meta.name)!))
  }

  /** Finalization: Terminating while its pods terminate (their processes killed), then gone. */
  function deleteNamespace(res: ServerResponse, name: string): void {
    const ns = namespaces.get(name)!
    // As the real API server: a second delete of a namespace whose finalizers are running is a conflict.
    if (ns.phase === 'Terminating') return send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`))
    ns.phase = 'Terminating'
    setTimeout(() => {
      for (const key of [...pods.keys()].filter((k) => k.startsWith(`${name}/`))) pods.delete(key)
      for (const key of [...services.keys()].filter((k) => k.startsWith(`${name}/`))) services.delete(key)
      namespaces.delete(name)
    }, 400)
    send(res, 200, namespaceObject(name, ns))
  }

  function createPod(res: ServerResponse, namespace: string, body: Record<string, unknown>): void {
    const meta = body['metadata'] as { name: string }
    const spec = body['spec'] as { nodeSelector?: Record<string, string>; hostNetwork?: boolean }
    const nodeName = spec.nodeSelector?.['kubernetes.io/hostname']
    const pod: FakePod = { name: meta.name, namespace, node: undefined, hostNetwork: spec.hostNetwork === true, phase: 'Pending', netns: undefined, ip: undefined, events: [], body }
    pods.set(`${namespace}/${meta.name}`, pod)
    const lab = nodeName ? labNode(nodeName) : undefined
    if (!lab) {
      pod.events.push({ reason: 'FailedScheduling', message: `0/${nodeNames.length} nodes are available: ${nodeNames.length} node(s) didn't match Pod's node affinity/selector.` })
    } else {
      setTimeout(() => {
        const taken = [...pods.values()].filter((q) => q !== pod && q.node === nodeName && !q.hostNetwork && q.netns).map((q) => q.netns)
        const labPod = opts.lab.plan.pods.filter((lp) => lp.node === lab.name).find((lp) => !taken.includes(lp.netns))
        if (!pod.hostNetwork && !labPod) return void pod.events.push({ reason: 'FailedCreatePodSandBox', message: 'no lab pod left on this node' })
        Object.assign(pod, { node: nodeName, phase: 'Running', netns: pod.hostNetwork ? lab.netns : labPod!.netns, ip: pod.hostNetwork ? lab.underlayIp : labPod!.ip })
        pod.events.push({ reason: 'Started', message: 'Started container engines' })
        void programServices()
      }, opts.startDelayMs ?? 150)
    }
    send(res, 201, podObject(pod))
  }

  // Exec: the channel protocol over WebSocket, the command run in the pod's lab namespace.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname)
    const pod = m ? pods.get(`${m[1]}/${m[2]}`) : undefined
    if (opts.forbid?.resource === 'pods/exec' || !pod || pod.phase !== 'Running' || !pod.netns) {
      socket.write(`HTTP/1.1 ${opts.forbid?.resource === 'pods/exec' ? '403 Forbidden' : '404 Not Found'}\r\n\r\n`)
      return socket.destroy()
    }
    wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, pod, url.searchParams.getAll('command')))
  })

  function runExec(ws: WebSocket, pod: FakePod, command: string[]): void {
    const argv = command.map((a) => a.replaceAll('/opt/cnibench/', `${packageRoot}/`))
    if (opts.dropExec?.test(argv.join(' '))) return void setTimeout(() => ws.terminate(), 300)
    const child = spawn('ip', ['netns', 'exec', pod.netns as string, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    const frame = (channel: number, data: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([channel]), data]))
    child.stdout.on('data', (d: Buffer) => frame(1, d))
    child.stderr.on('data', (d: Buffer) => frame(2, d))
    child.on('error', (e) => frame(2, Buffer.from(String(e))))
    child.on('close', (code) => {
      const result = code === 0 ? { metadata: {}, status: 'Success' } : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code ?? 1) }] } }
      frame(3, Buffer.from(JSON.stringify(result)))
      ws.close()
    })
    // As a real container runtime: closing the connection does not stop the command (cnibench kills by pid).
  }

  function node(name: string) {
    const lab = labNode(name)
    return {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': 'lab-netns', 'topology.kubernetes.io/zone': 'lab' } },
      spec: {},
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: lab?.underlayIp }],
        capacity: { cpu: '2' },
        nodeInfo: { kernelVersion: 'lab kernel', osImage: 'cnibench lab', kubeletVersion: 'v1.31.0-cnibench-fake', containerRuntimeVersion: 'none://lab' },
      },
    }
  }

  function podObject(pod: FakePod) {
    return { ...pod.body, spec: { ...(pod.body['spec'] as object), ...(pod.node ? { nodeName: pod.node } : {}) }, status: { phase: pod.phase, ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}) } }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  const url = `http://127.0.0.1:${address.port}`
  return {
    url,
    kubeconfig: () => kubeconfigFor(url),
    namespaces: () => [...namespaces.keys()],
    terminating: (name, ms) => {
      namespaces.set(name, { labels: { 'cnibench.io/run': 'earlier' }, phase: 'Terminating' })
      unseenTerminating.set(name, ms)
    },
    leftover: (name) => namespaces.set(name, { labels: { 'cnibench.io/run': 'killed' }, phase: 'Active' }),
    close: () => new Promise<void>((resolve) => { wss.close(); server.close(() => resolve()); server.closeAllConnections() }),
  }
}

/** The pool Calico would have for the lab's datapath (ipipMode Always for calico-ipip, Never otherwise). */
function ipPool(datapath: string) {
  return { metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: '10.244.0.0/16', ipipMode: datapath === 'calico-ipip' ? 'Always' : 'Never', vxlanMode: datapath === 'calico-vxlan' ? 'Always' : 'Never' } }
}

/** A kubelet summary with one calico-node pod. Its figures are constants of this fake, not measurements. */
function summary(node: string) {
  return { node: { nodeName: node }, pods: [{ podRef: { name: `calico-node-${node}`, namespace: 'kube-system', uid: node }, cpu: { usageNanoCores: 12_000_000 }, memory: { workingSetBytes: 150 * 2 ** 20 } }] }
}

function daemonSet(datapath: string) {
  const [name, image] = datapath.startsWith('cilium') ? ['cilium', 'quay.io/cilium/cilium:v1.18.0'] : datapath.startsWith('flannel') ? ['kube-flannel-ds', 'flannel/flannel:v0.28.0'] : ['calico-node', 'calico/node:v3.30.0']
  return { metadata: { name, namespace: 'kube-system' }, spec: { selector: {}, template: { spec: { containers: [{ name, image }] } } } }
}

function namespaceObject(name: string, ns: { labels: Record<string, string>; phase: string }) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: ns.labels }, status: { phase: ns.phase } }
}

function matchesSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=')
    return v === undefined ? (k as string) in labels : labels[k as string] === v
  })
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.on('data', (b: Buffer) => (text += b.toString()))
    req.on('end', () => resolve(text || '{}'))
    req.on('error', reject)
  })
}

function kubeconfigFor(url: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // Plain HTTP on loopback: client-node allows it only with TLS verification off, which is what this says.
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'cnibench-test', user: { token: 'test' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'cnibench-test' } }],
    'current-context': 'fake',
  })
}
