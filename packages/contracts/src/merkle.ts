/**
 * The reward settlement tree: one leaf per node and epoch, hashed as the Rewards contract checks
 * it — `keccak256(bytes.concat(keccak256(abi.encode(epoch, node, ethAmount, tokenAmount))))` —
 * and combined in sorted pairs (OpenZeppelin's commutative MerkleProof). Leaves are sorted by
 * hash so the root does not depend on input order; an odd node moves up a level unchanged.
 */
import { concat, encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from 'viem'

export interface RewardShare {
  node: Address
  /** Wei of ETH. */
  ethAmount: bigint
  /** Wei of P2PV. */
  tokenAmount: bigint
}

export interface RewardTree {
  epoch: bigint
  root: Hex
  ethTotal: bigint
  tokenTotal: bigint
  /** The proof for a node's leaf (throws for a node not in the tree). */
  proof: (node: Address) => Hex[]
  shares: RewardShare[]
}

export function rewardLeaf (epoch: bigint, share: RewardShare): Hex {
  return keccak256(keccak256(encodeAbiParameters(
    [{ type: 'uint64' }, { type: 'address' }, { type: 'uint128' }, { type: 'uint128' }],
    [epoch, share.node, share.ethAmount, share.tokenAmount]
  )))
}

function hashPair (a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]))
}

/** Builds the tree for an epoch; one share per node. */
export function buildRewardTree (epoch: bigint, shares: RewardShare[]): RewardTree {
  if (shares.length === 0) throw new RangeError('a reward tree needs at least one share')
  const byNode = new Map<string, RewardShare>()
  for (const s of shares) {
    const key = getAddress(s.node)
    if (byNode.has(key)) throw new RangeError(`two shares for ${key}`)
    if (s.ethAmount < 0n || s.tokenAmount < 0n) throw new RangeError('reward amounts must not be negative')
    byNode.set(key, s)
  }
  const leaves = [...byNode.entries()].map(([key, s]) => ({ key, hash: rewardLeaf(epoch, s) }))
    .sort((a, b) => (BigInt(a.hash) < BigInt(b.hash) ? -1 : 1))
  const levels: Hex[][] = [leaves.map(l => l.hash)]
  while (levels.at(-1)!.length > 1) {
    const prev = levels.at(-1)!
    const next: Hex[] = []
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i]!, prev[i + 1]!) : prev[i]!)
    levels.push(next)
  }
  const index = new Map(leaves.map((l, i) => [l.key, i]))
  return {
    epoch,
    root: levels.at(-1)![0]!,
    ethTotal: shares.reduce((t, s) => t + s.ethAmount, 0n),
    tokenTotal: shares.reduce((t, s) => t + s.tokenAmount, 0n),
    shares: [...byNode.values()],
    proof: (node: Address): Hex[] => {
      let i = index.get(getAddress(node))
      if (i === undefined) throw new RangeError(`${node} has no share in epoch ${epoch}`)
      const proof: Hex[] = []
      for (const level of levels.slice(0, -1)) {
        const sibling = i % 2 === 0 ? i + 1 : i - 1
        if (sibling < level.length) proof.push(level[sibling]!)
        i = Math.floor(i / 2)
      }
      return proof
    }
  }
}
