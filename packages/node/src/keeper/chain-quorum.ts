/**
 * The oracle a keeper checks access with: every `--rpc` endpoint (default: the chain file's
 * one) read at once through a QuorumOracle, so a release needs all of them to agree within
 * DEFAULT_QUORUM_TIMEOUT_MS. The first endpoint also carries the node's writes (registration,
 * anchors); reads never wait on its longer write timeout.
 */
import { connectChain, type ChainConfig } from '@p2pdv/chain'
import { ChainKeyOracle, DEFAULT_QUORUM_TIMEOUT_MS, QuorumOracle } from '@p2pdv/chain/oracles'

export async function connectQuorumOracle (chain: ChainConfig, rpcs: string[], timeoutMs = DEFAULT_QUORUM_TIMEOUT_MS): Promise<QuorumOracle> {
  const endpoints = rpcs.length === 0 ? [chain.rpc] : rpcs
  // connectChain checks each endpoint serves the configured chain id; one retry absorbs a blip
  // without stretching a read far past the quorum's own deadline.
  const members = await Promise.all(endpoints.map(async rpc =>
    new ChainKeyOracle(await connectChain({ ...chain, rpc }, { timeoutMs, retryCount: 0 }))))
  return new QuorumOracle(members, { timeoutMs })
}
