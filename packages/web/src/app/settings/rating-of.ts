/**
 * A video's content rating, for the viewer's rating limit: from the serving node's index, else
 * (unlisted, or a live stream) from the registry on chain, read without a wallet.
 */
import { listedVideo } from '../discover/api.ts'
import { nodeChainDescription } from '../node-chain.ts'

export async function ratingOf (id: string, signal?: AbortSignal): Promise<number> {
  try {
    return (await listedVideo(id, signal)).rating
  } catch {
    const { ChainClient, parseChainConfig } = await import('@p2pdv/sdk/browser')
    const client = await ChainClient.connect(parseChainConfig(await nodeChainDescription(window.location.origin, signal), 'the node\'s chain description'))
    return (await client.getVideo(id as `0x${string}`)).rating
  }
}
