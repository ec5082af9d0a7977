/**
 * Which Debian/Ubuntu package provides each external program cnibench runs, so that every "missing tool" error names
 * the exact fix. scripts/bootstrap.sh installs the same list (keep them in step; a unit test checks it).
 */

export const packageOf: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  tc: 'iproute2',
  bridge: 'iproute2',
  iperf3: 'iperf3',
  sockperf: 'sockperf',
  netperf: 'netperf',
  netserver: 'netperf',
  bird: 'bird2',
  birdc: 'bird2',
  clang: 'clang',
  'llvm-strip': 'llvm',
  bpftool: 'bpftool',
  'ovs-vswitchd': 'openvswitch-switch',
  'ovsdb-server': 'openvswitch-switch',
  'ovs-vsctl': 'openvswitch-switch',
  'ovs-ofctl': 'openvswitch-switch',
  tcpdump: 'tcpdump',
  ping: 'iputils-ping',
  sysctl: 'procps',
  ethtool: 'ethtool',
  'iptables-legacy': 'iptables',
  'iptables-nft': 'iptables',
  'iptables-legacy-restore': 'iptables',
  'iptables-nft-restore': 'iptables',
  nft: 'nftables',
  ipset: 'ipset',
}

/** The one-line fix for a missing program. netperf is not in Debian main, so it gets its own advice. */
export function installHint(program: string): string {
  const pkg = packageOf[program]
  if (pkg === 'netperf') return 'netperf is optional (not in Debian main); build it from source to use it'
  if (pkg) return `install it with \`apt-get install -y ${pkg}\` (or run ./scripts/bootstrap.sh)`
  return 'install it and make sure it is on PATH'
}
