/**
 * A node with a wallet registers itself in the NodeRegistry when it starts: peer id, endpoints
 * (HTTP data plane first, then libp2p addresses), the wallet's X25519 public key (key keepers'
 * shares are sealed to it), its quota as capacity, the keeper flag, and its stake. On later
 * starts it only updates what changed (ephemeral ports move) and tops the stake up to the
 * minimum if a slash or a new minimum left it short.
 */
import { readFile } from 'node:fs/promises'
import { parseUnits, toHex } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import { ChainClient, parseChainConfig, type ChainConfig } from '@p2pdv/chain'
import { IdentityStore } from '@p2pdv/chain/identity'
import type { NodeChainConfig } from './config.ts'

/** NodeRegistry.MAX_ENDPOINTS and MAX_ENDPOINT_LENGTH. */
const MAX_ENDPOINTS = 4
const MAX_ENDPOINT_LENGTH = 256

export interface ChainRegistration {
  operator: string
  action: 'registered' | 'updated' | 'unchanged'
  stake: string
  active: boolean
  keeper: boolean
}

/** The chain description a node was pointed at (`--chain FILE`, `--rpc` overriding its endpoint). */
export async function readChainFile (cfg: Pick<NodeChainConfig, 'chainFile' | 'rpc'>): Promise<ChainConfig> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(cfg.chainFile, 'utf8'))
  } catch (cause) {
    throw new P2pdvError('ERR_CHAIN_CONFIG', `cannot read the chain description ${cfg.chainFile}`, { hint: 'Pass --chain FILE with rpc, chainId and contract addresses.', cause })
  }
  const inner = typeof json === 'object' && json !== null && 'chain' in json ? (json as { chain: unknown }).chain : json
  return parseChainConfig(inner, cfg.chainFile, cfg.rpc === undefined ? {} : { rpc: cfg.rpc })
}

export async function registerNodeOnChain (
  node: { peerId: string, httpUrl: string, multiaddrs: string[] },
  cfg: NodeChainConfig,
  passphrase: string,
  capacityBytes: number
): Promise<ChainRegistration> {
  const config = await readChainFile(cfg)
  const identity = await new IdentityStore(cfg.keysDir).open(cfg.wallet, passphrase)
  try {
    const client = await ChainClient.connect(config, { account: identity.account })
    const endpoints = [node.httpUrl, ...node.multiaddrs].filter(e => e.length > 0 && e.length <= MAX_ENDPOINT_LENGTH).slice(0, MAX_ENDPOINTS)
    const r = await client.ensureNodeRegistered({
      peerId: node.peerId,
      endpoints,
      encryptionKey: toHex(identity.x25519PublicKey),
      capacity: BigInt(capacityBytes),
      keeper: cfg.keeper
    }, cfg.stake === undefined ? 0n : parseUnits(cfg.stake, 18))
    return { operator: identity.address, action: r.action, stake: r.node.stake.toString(), active: r.node.active, keeper: r.node.keeper }
  } finally {
    identity.forget()
  }
}
