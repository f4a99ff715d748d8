/**
 * The keepers of an on-chain video (a chunk of its own: the page loads it only for video links).
 */
import { P2pdvError, parseCid, type CID } from '@p2pdv/core'
import type { Hex, VideoId } from '@p2pdv/core/keys'
import { ChainClient, ChainKeyOracle, eip1193Viewer, KeyResolver, pageWalletViewer, parseChainConfig, type ViewerKeys } from '@p2pdv/sdk/browser'
import type { EIP1193Provider } from 'viem'
import { nodeChainDescription } from './node-chain.ts'

declare global {
  interface Window {
    ethereum?: EIP1193Provider
    /** The account this page asks keepers with (for diagnostics and tests; no key material). */
    p2pdvViewer?: { address: Hex, wallet: 'injected' | 'page' }
  }
}

/**
 * The keepers of an on-chain video. The page reads the chain description from the node that
 * served it, signs one request with an injected wallet (EIP-1193) when there is one, else with a
 * devnet wallet kept by the page, and combines the keepers' shares; the key is checked against
 * the fingerprint the registry holds.
 */
export class KeeperKeySource {
  readonly label = 'Asking the key keepers'
  private readonly video: VideoId
  private readonly origin: string

  constructor (video: VideoId, origin: string) {
    this.video = video
    this.origin = origin
  }

  async open (signal?: AbortSignal): Promise<{ manifest: CID, key: Uint8Array }> {
    const { oracle, viewer, injected, resolver } = await connectKeepers(this.origin, signal)
    try {
      const record = await oracle.video(this.video)
      if (record?.manifest === undefined) throw new P2pdvError('ERR_VIDEO_UNKNOWN', 'no video with this id is registered on chain', { hint: 'Check the link.' })
      const { key } = await resolver.resolve(this.video, signal === undefined ? {} : { signal })
      return { manifest: parseCid(record.manifest), key }
    } catch (err) {
      if (err instanceof P2pdvError && err.code === 'ERR_ACCESS_DENIED') {
        throw new P2pdvError(err.code, err.message, {
          hint: `This page asks as ${viewer.address}${!injected ? ' (a devnet wallet kept by this page)' : ''}; buy or be granted access for that address, then try again.`,
          ...(err.details === undefined ? {} : { details: err.details })
        })
      }
      throw err
    } finally {
      viewer.x25519PrivateKey.fill(0)
    }
  }
}

export interface KeeperSession {
  client: ChainClient
  oracle: ChainKeyOracle
  viewer: ViewerKeys & { address: Hex }
  /** The page asks with an injected wallet (else with a devnet wallet it keeps). */
  injected: boolean
  resolver: KeyResolver
}

/**
 * The chain of the node that served the page, and a resolver that asks keepers as this page's
 * viewer: the injected wallet (EIP-1193) when there is one, else the page's devnet wallet.
 * The caller zeroes `viewer.x25519PrivateKey` when done.
 */
export async function connectKeepers (origin: string, signal?: AbortSignal): Promise<KeeperSession> {
  const client = await ChainClient.connect(parseChainConfig(await nodeChainDescription(origin, signal), 'the node\'s chain description'))
  const oracle = new ChainKeyOracle(client)
  const injected = window.ethereum
  const viewer = injected !== undefined ? await eip1193Viewer(injected) : pageWalletViewer(window.localStorage, client.config.chainId)
  window.p2pdvViewer = { address: viewer.address, wallet: injected !== undefined ? 'injected' : 'page' }
  return { client, oracle, viewer, injected: injected !== undefined, resolver: new KeyResolver({ oracle, directory: oracle, viewer }) }
}
