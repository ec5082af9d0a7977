/**
 * `cnibench k8s ...`: the same matrix on a real Kubernetes cluster, through its API. `k8s run` measures (the session
 * is the lab's, on cluster testbeds), `k8s clean` removes what a killed run left, `k8s plan` prints the manifests and
 * the test plan without touching a cluster. The Kubernetes client is loaded only by the commands that talk to one.
 */
import type { Command } from 'commander'
import { CnibenchError } from '../../errors.js'
import { clusterManifests, DEFAULT_IMAGE, defaultNamespace } from '../../k8s/manifests.js'
import { manifestsYaml, planText } from '../../k8s/plan-text.js'
import { clusterCells, clusterPathNames } from '../../k8s/plan.js'
import { newRunId } from '../../measure/runner.js'
import { addMatrixOptions, matrixConfig, type MatrixOptions } from '../matrix-options.js'
import { listOption } from '../options.js'
import { print, printJson } from '../output.js'
import { interruptSignal } from '../interrupt.js'
import { createProgress } from '../progress.js'
import { sessionHooks, showFinishedRun } from '../run-output.js'
import { openStore } from './results.js'

interface PlanOptions extends MatrixOptions {
  paths?: string[]
  namespace?: string
  image: string
  serverNode?: string
  clientNode?: string
  tolerateTaints?: boolean
  json?: boolean
}

interface RunOptions extends PlanOptions {
  kubeconfig?: string
  context?: string
  db?: string
  report?: string | false
  wait?: boolean
}

export function registerK8s(program: Command): void {
  const k8s = program.command('k8s').description('measure the matrix on a Kubernetes cluster through its API')
  const run = addClusterOptions(
    k8s
      .command('run')
      .description('measure the matrix between pods on two nodes of a cluster, against a hostNetwork pair on the same nodes')
      .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (default: the current one)'),
  )
    .option('--db <file>', 'results database (default: $XDG_DATA_HOME/cnibench/results.db)')
    .option('--report <file>', 'where to write the HTML report (default: reports/<run>.html next to the database)')
    .option('--no-report', 'do not write a report file')
    .option('--no-wait', 'if another measurement is running on this machine, refuse instead of waiting for it')
    .option('--json', 'print the results as JSON on stdout (progress stays on stderr)')
  addMatrixOptions(run).action(runOnCluster)
  k8s
    .command('clean')
    .description('delete every namespace a cnibench run left on the cluster (by its run label), and wait until they are gone')
    .option('--kubeconfig <file>', 'kubeconfig')
    .option('--context <name>', 'kubeconfig context')
    .action(async (opts: { kubeconfig?: string; context?: string }) => {
      const { connect, cleanCluster } = await import('../../k8s/cluster.js')
      const { core } = await connect(opts)
      const removed = await cleanCluster(core)
      print(removed.length === 0 ? 'nothing to clean' : `removed ${removed.join(', ')}`)
    })
  const plan = addClusterOptions(k8s.command('plan').description('print the manifests and the test plan of a cluster run, without touching any cluster'))
    .option('--json', 'the objects and cells as JSON')
  addMatrixOptions(plan).action((opts: PlanOptions) => {
    checkNodePair(opts)
    const config = matrixConfig(opts)
    const runId = newRunId()
    const manifests = clusterManifests({
      runId,
      namespace: opts.namespace ?? defaultNamespace(runId),
      image: opts.image,
      serverNode: opts.serverNode ?? 'SERVER_NODE',
      clientNode: opts.clientNode ?? 'CLIENT_NODE',
      tolerateTaints: opts.tolerateTaints === true,
    })
    const cells = clusterCells(config, checkPaths(opts.paths))
    if (opts.json) return printJson({ runId, manifests, cells })
    const nodes = opts.serverNode && opts.clientNode ? '' : '# SERVER_NODE / CLIENT_NODE: a run picks two schedulable workers (or give --server-node / --client-node)\n'
    process.stdout.write(`# cnibench k8s plan (run id ${runId} for illustration; each run gets its own)\n${nodes}${manifestsYaml(manifests)}${planText(cells)}`)
  })
}

async function runOnCluster(opts: RunOptions): Promise<void> {
  checkNodePair(opts)
  const { prepareClusterRun } = await import('../../k8s/run.js')
  const { ClusterTestbeds } = await import('../../k8s/cluster.js')
  const { runSession } = await import('../../measure/session.js')
  const progress = createProgress()
  const prepared = await prepareClusterRun(matrixConfig(opts), {
    image: opts.image,
    paths: checkPaths(opts.paths),
    tolerateTaints: opts.tolerateTaints === true,
    ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.serverNode ? { serverNode: opts.serverNode } : {}),
    ...(opts.clientNode ? { clientNode: opts.clientNode } : {}),
  })
  progress.note(`cluster ${String(prepared.facts['kubernetesVersion'])}, CNI ${String(prepared.facts['cni'])}; server pods on ${prepared.input.serverNode}, clients on ${prepared.input.clientNode}`)
  const store = openStore(opts.db)
  try {
    const runId = await runSession(store, { plan: prepared.planned }, {
      runId: prepared.runId,
      wait: opts.wait !== false,
      allowConcurrent: false,
      signal: interruptSignal,
      testbeds: () => new ClusterTestbeds(prepared.connection, prepared.input, prepared.facts, interruptSignal, (m) => progress.note(m)),
      hooks: sessionHooks(progress),
    }).finally(() => progress.finish())
    showFinishedRun(store, runId, opts)
  } finally {
    store.close()
  }
}

/** What `k8s plan` and `k8s run` share: where the pods go and what they run. */
function addClusterOptions(command: Command): Command {
  return command
    .option('-n, --namespace <name>', 'namespace to create (default: cnibench-<run id>)')
    .option('--image <image>', 'the engines image (deploy/Dockerfile)', DEFAULT_IMAGE)
    .option('--server-node <node>', 'node of the server pods (default: the first schedulable worker)')
    .option('--client-node <node>', 'node of the client pods (default: the next one)')
    .option('--tolerate-taints', 'let the pods run on tainted nodes')
    .option('--paths <list>', `paths to measure besides the hostNetwork baseline: ${clusterPathNames.join(', ')} (default all)`, listOption)
}

function checkPaths(paths: string[] | undefined): string[] {
  for (const p of paths ?? []) {
    if (!(clusterPathNames as readonly string[]).includes(p)) throw new CnibenchError('E_USAGE', `unknown path "${p}"`, { hint: `choose from: ${clusterPathNames.join(', ')}` })
  }
  return paths ?? [...clusterPathNames]
}

function checkNodePair(opts: { serverNode?: string; clientNode?: string }): void {
  if (opts.serverNode !== undefined && opts.serverNode === opts.clientNode) {
    throw new CnibenchError('E_USAGE', `--server-node and --client-node are both ${opts.serverNode}`, { hint: 'give two different nodes: the pod-to-pod path crosses between them (the intra-node pair is measured too)' })
  }
}
