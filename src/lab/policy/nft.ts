/**
 * Policy as native nftables rules, one per denied pair, walked in order (the linear layout, without iptables' compat
 * layer), in a base chain on the hook the server's packets cross.
 */
import { inNetns } from '../../exec/netns.js'
import { run } from '../../exec/run.js'
import { needsFeature, needsTool } from '../datapath.js'
import { listedPort, type PolicyImplementation, type PolicyRules, type PolicyTarget } from './policy.js'

const NFT_TABLE = 'cnibench_policy'

/** The `nft -f` input: a table with one base chain on the target's hook, then `body` lines in it (pure). */
export function nftPolicyTable(target: PolicyTarget, rules: PolicyRules, body: string[], preamble: string[] = []): string {
  return [
    `table ip ${NFT_TABLE} {`,
    ...preamble.map((l) => `  ${l}`),
    `  chain ${target.hook} {`,
    `    type filter hook ${target.hook} priority filter; policy accept;`,
    ...(rules.establishedFirst ? ['    ct state established,related accept'] : []),
    ...body.map((l) => `    ${l}`),
    '    accept',
    '  }',
    '}',
    '',
  ].join('\n')
}

export async function loadNft(netns: string, text: string): Promise<void> {
  await run(inNetns(netns, ['nft', '-f', '-']), { input: text })
}

export const nftPolicy: PolicyImplementation = {
  describe: (t) => `nftables: a linear list of rules in a ${t.hook} base chain of ${t.netns}`,
  requires: [needsTool('nft'), needsFeature('nftables')],
  load: (target, rules) => loadNft(target.netns, nftPolicyTable(target, rules, Array.from({ length: rules.count }, (_, i) => `ip daddr ${target.podIp} tcp dport ${listedPort(i)} drop`))),
}
