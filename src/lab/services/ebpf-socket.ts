/**
 * Cilium's socket-level load balancer: a cgroup/connect4 program (bpf/sock_lb.c) rewrites the address a client
 * connects to, once, at connect(). The connection then goes to the backend directly: no per-packet translation, no
 * conntrack. It attaches to a cgroup, not a device: cnibench makes one per lab (lab/cgroup.ts), runs only the
 * measuring client in it, and removes it with the lab.
 */
import { run } from '../../exec/run.js'
import { bpfObjectPath } from '../../system/paths.js'
import { loadedProgram, updateMaps } from '../bpf.js'
import { createLabCgroup, labCgroupName, withLabBpffs } from '../cgroup.js'
import { needsBuilt, needsFeature, needsTool } from '../datapath.js'
import { serviceUpdates } from './bpf-maps.js'
import type { ServiceProxy } from './services.js'

export const ebpfSocketProxy: ServiceProxy = {
  describe: (t) => `eBPF socket-level LB: cgroup/connect4 on cgroup ${labCgroupName(t.lab)}, which holds only the measuring client`,
  requires: [needsBuilt(bpfObjectPath('sock_lb'), 'the eBPF socket load-balancing program'), needsTool('bpftool'), needsFeature('cgroup2')],
  problem: () => undefined,
  async load(target, services) {
    const cgroup = await createLabCgroup(target.lab)
    const program = await withLabBpffs(target.lab, async (dir) => {
      const pin = `${dir}/sock_lb`
      await run(['bpftool', 'prog', 'load', bpfObjectPath('sock_lb'), pin, 'type', 'cgroup/connect4'])
      await run(['bpftool', 'cgroup', 'attach', cgroup, 'connect4', 'pinned', pin])
      // Attached, the program lives as long as the cgroup: the pin (and the bpffs) can go.
      return loadedProgram(['pinned', pin])
    })
    await updateMaps(serviceUpdates(program, services))
    return { clientCgroup: cgroup }
  },
}
