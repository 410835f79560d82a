import type { NetworkPolicyPeer } from 'kubernetes-types/networking/v1';
import { didYouMean } from './suggest.ts';

const PEER_KEYS = ['podSelector', 'namespaceSelector', 'ipBlock'];
const SELECTOR_KEYS = ['matchLabels', 'matchExpressions'];
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Problems with a list of NetworkPolicy peers, as [field path, message] pairs. An empty list would
 * render `from: []`, which Kubernetes reads as "every source", and a peer the API server rejects
 * ({} or ipBlock beside a selector) fails the whole sync.
 */
export function peersProblems(field: string, peers: unknown, example: string): [string, string][] {
  if (!Array.isArray(peers)) return [[field, `must be a list of NetworkPolicy peers such as ${example}`]];
  if (peers.length === 0) {
    return [
      [
        field,
        `must not be empty: an empty list renders \`from: []\`, which admits every source, in every namespace and outside the cluster; list the peers, such as ${example}`,
      ],
    ];
  }
  return peers.flatMap((peer, index): [string, string][] => {
    const at = `${field}[${index}]`;
    if (!isPlainObject(peer))
      return [[at, `must be a NetworkPolicy peer such as ${example}, got ${JSON.stringify(peer)}`]];
    const unknown = Object.keys(peer).filter((key) => !PEER_KEYS.includes(key));
    if (unknown.length)
      return unknown.map((key): [string, string] => [
        `${at}.${key}`,
        `unknown peer field; allowed: ${PEER_KEYS.join(', ')}${didYouMean(key, PEER_KEYS)}`,
      ]);
    const set = PEER_KEYS.filter((key) => (peer as Record<string, unknown>)[key] !== undefined);
    if (set.length === 0)
      return [
        [
          at,
          `an empty peer is rejected by the API server; set podSelector, namespaceSelector or ipBlock, such as ${example}`,
        ],
      ];
    if (set.includes('ipBlock') && set.length > 1)
      return [
        [
          at,
          'ipBlock cannot be combined with podSelector or namespaceSelector in one peer (the API server rejects it); make them two peers',
        ],
      ];
    const problems: [string, string][] = [];
    for (const key of ['podSelector', 'namespaceSelector'] as const) {
      const selector = (peer as NetworkPolicyPeer)[key];
      if (selector === undefined) continue;
      if (!isPlainObject(selector))
        problems.push([
          `${at}.${key}`,
          `must be a label selector such as {} or { matchLabels: { app: "api" } }, got ${JSON.stringify(selector)}`,
        ]);
      else
        for (const k of Object.keys(selector).filter((k) => !SELECTOR_KEYS.includes(k))) {
          problems.push([
            `${at}.${key}.${k}`,
            `unknown selector field; allowed: ${SELECTOR_KEYS.join(', ')}${didYouMean(k, SELECTOR_KEYS)}`,
          ]);
        }
    }
    const block = (peer as NetworkPolicyPeer).ipBlock;
    if (
      block !== undefined &&
      !(isPlainObject(block) && typeof block.cidr === 'string' && /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(block.cidr))
    ) {
      problems.push([`${at}.ipBlock`, `must be { cidr: "10.0.0.0/8", except?: [...] }, got ${JSON.stringify(block)}`]);
    }
    return problems;
  });
}
