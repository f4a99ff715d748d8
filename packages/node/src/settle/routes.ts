/**
 * The settler's public routes: a node's reward proof for a posted epoch, and the epoch's
 * published inputs (so anyone can recompute the root). Read-only; parameters are validated
 * before any disk or chain read.
 */
import type { FastifyInstance } from 'fastify'
import { getAddress, isAddress } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Settler } from './settler.ts'

export const RewardRouteErrorCode = {
  BAD_EPOCH: 'ERR_REWARDS_BAD_EPOCH',
  BAD_ADDRESS: 'ERR_REWARDS_BAD_ADDRESS',
  NO_SHARE: 'ERR_REWARDS_NO_SHARE',
  NOT_SETTLER: 'ERR_REWARDS_NOT_SETTLER'
} as const

/** Epochs are uint64; 20 digits at most. */
function parseEpoch (text: string): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= 2n ** 64n) throw new P2pdvError(RewardRouteErrorCode.BAD_EPOCH, 'the epoch is a whole number (uint64)', { hint: 'e.g. /api/v1/rewards/0/0x…' })
  return BigInt(text)
}

export function rewardRoutes (settler: () => Settler | undefined) {
  return (app: FastifyInstance): void => {
    const get = (): Settler => {
      const s = settler()
      if (s === undefined) throw new P2pdvError(RewardRouteErrorCode.NOT_SETTLER, 'this node does not settle rewards', { hint: 'Ask the node that runs with --settle (the devnet\'s first node).' })
      return s
    }
    app.get<{ Params: { epoch: string, address: string } }>('/api/v1/rewards/:epoch/:address', async (req, reply) => {
      const epoch = parseEpoch(req.params.epoch)
      const address = req.params.address
      if (address.length !== 42 || !isAddress(address, { strict: false })) throw new P2pdvError(RewardRouteErrorCode.BAD_ADDRESS, 'not a 0x address', { hint: 'Give the node operator\'s 0x address.' })
      const proof = await get().proof(epoch, getAddress(address))
      if (proof === undefined) throw new P2pdvError(RewardRouteErrorCode.NO_SHARE, `no posted share for ${getAddress(address)} in epoch ${epoch} here`, { hint: 'The epoch may not be posted yet, or the node earned nothing in it.' })
      return await reply.header('cache-control', 'no-cache').send(proof)
    })
    app.get<{ Params: { epoch: string } }>('/api/v1/rewards/:epoch', async (req, reply) => {
      const epoch = parseEpoch(req.params.epoch)
      const file = get().read(epoch)
      if (file === undefined) throw new P2pdvError(RewardRouteErrorCode.NO_SHARE, `epoch ${epoch} was not settled here`, { hint: 'Ask the settler that posted this epoch; an epoch with no earnings is not posted.' })
      return await reply.header('cache-control', 'no-cache').send(file)
    })
  }
}
