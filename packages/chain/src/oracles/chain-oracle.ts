/**
 * The chain as keepers and viewers see it: `hasAccess` from the AccessManager, owner and key
 * fingerprint from the VideoRegistry, keeper sets from KeyCustody, keepers' addresses, X25519
 * keys and endpoints from the NodeRegistry, and log anchors. Reads only, except `anchor` (a
 * keeper's wallet) and `setCustody` (a creator's). Nothing is cached: an access check after a
 * purchase must see the purchase.
 */
import { getAddress } from 'viem'
import { isP2pdvError } from '@p2pdv/core/errors'
import {
  fromHex, type AccessOracle, type Custody, type Hex, type KeeperDirectory, type KeeperDomain, type KeeperInfo, type LogAnchor, type VideoId, type VideoRecord
} from '@p2pdv/core/keys'
import { VideoRegistryAbi } from '@p2pdv/contracts/abis'
import { hasAccess } from '../access.ts'
import type { ChainContext } from '../context.ts'
import { anchoredHeadAt, anchorLog, custodyOf, latestAnchor } from '../custody.ts'
import { chainError } from '../errors.ts'
import { getNode, listNodes, type NodeInfo } from '../nodes.ts'
import { listVideos } from '../registry.ts'

/** How many registered nodes are read at once when listing keepers. */
export const KEEPER_LIST_LIMIT = 256
/** How long a keeper's registered profile is reused before it is read again. */
export const KEEPER_INFO_TTL_MS = 30_000

export function keeperFromNode (n: NodeInfo): KeeperInfo | undefined {
  if (!n.registered || !n.active || !n.keeper) return undefined
  let x25519PublicKey: Uint8Array
  try { x25519PublicKey = fromHex(n.encryptionKey, 32, 'encryptionKey') } catch { return undefined }
  const http = n.endpoints.find(e => /^https?:\/\//.test(e))
  const multiaddrs = n.endpoints.filter(e => e.startsWith('/'))
  return {
    address: getAddress(n.operator),
    x25519PublicKey,
    ...(http === undefined ? {} : { http: http.replace(/\/+$/, '') }),
    ...(n.peerId === '' ? {} : { peerId: n.peerId }),
    ...(multiaddrs.length === 0 ? {} : { multiaddrs })
  }
}

export class ChainKeyOracle implements AccessOracle, KeeperDirectory, LogAnchor {
  /** A ChainClient or any other context: reads, and the keeper's wallet for `anchor`. */
  readonly client: ChainContext
  readonly domain: KeeperDomain
  private readonly infos = new Map<string, { info: KeeperInfo | undefined, until: number }>()
  private list: { keepers: KeeperInfo[], until: number } | undefined

  constructor (client: ChainContext) {
    this.client = client
    this.domain = { chainId: client.config.chainId, verifyingContract: client.config.contracts.accessManager }
  }

  async hasAccess (video: VideoId, viewer: Hex): Promise<boolean> {
    return await hasAccess(this.client, video, viewer)
  }

  async video (video: VideoId): Promise<VideoRecord | undefined> {
    let v
    try {
      // One read (the registry record); getVideo also reads the price, not needed here.
      v = await this.client.public.readContract({ address: this.client.config.contracts.videoRegistry, abi: VideoRegistryAbi, functionName: 'getVideo', args: [video] })
    } catch (err) {
      const e = chainError(err, 'reading the video')
      if (isP2pdvError(e, 'ERR_CHAIN_UNKNOWN_VIDEO')) return undefined
      throw e
    }
    return { owner: v.owner, keyFingerprint: fromHex(v.keyFingerprint, 32, 'keyFingerprint'), ...(v.manifestCid === '' ? {} : { manifest: v.manifestCid }) }
  }

  async custody (video: VideoId): Promise<Custody | undefined> {
    return await custodyOf(this.client, video)
  }

  async roles (address: Hex): Promise<{ creator: boolean, nodeHost: boolean }> {
    const [videos, node] = await Promise.all([listVideos(this.client, { owner: getAddress(address), includeRetired: true }), getNode(this.client, getAddress(address))])
    return { creator: videos.length > 0, nodeHost: node.registered }
  }

  /**
   * A keeper's registered endpoints and key. Cached for KEEPER_INFO_TTL_MS: profiles change
   * rarely (a restart moves ports), and reading them costs two calls per keeper per resolution.
   * Access is never cached.
   */
  async keeper (address: Hex): Promise<KeeperInfo | undefined> {
    const key = address.toLowerCase()
    const hit = this.infos.get(key)
    if (hit !== undefined && hit.until > Date.now()) return hit.info
    const info = keeperFromNode(await getNode(this.client, getAddress(address)))
    this.infos.set(key, { info, until: Date.now() + KEEPER_INFO_TTL_MS })
    return info
  }

  /** Forgets cached keeper profiles (after a keeper was unreachable, say). */
  forgetKeepers (): void {
    this.infos.clear()
  }

  async keepers (): Promise<KeeperInfo[]> {
    const nodes = await listNodes(this.client)
    return nodes.slice(0, KEEPER_LIST_LIMIT).map(keeperFromNode).filter((k): k is KeeperInfo => k !== undefined)
  }

  /** `keepers()`, reused for KEEPER_INFO_TTL_MS (for pages' connect lists, not for custody). */
  async keepersCached (): Promise<KeeperInfo[]> {
    if (this.list !== undefined && this.list.until > Date.now()) return this.list.keepers
    const keepers = await this.keepers()
    this.list = { keepers, until: Date.now() + KEEPER_INFO_TTL_MS }
    return keepers
  }

  async anchor (length: number, head: Hex): Promise<Hex> {
    return (await anchorLog(this.client, length, head)).transactionHash
  }

  /** The head `keeper` anchored at exactly `length` entries (where a compacted log starts). */
  async anchoredAt (keeper: Hex, length: number): Promise<Hex | undefined> {
    return await anchoredHeadAt(this.client, getAddress(keeper), length)
  }

  async latest (keeper: Hex): Promise<{ length: number, head: Hex } | undefined> {
    const a = await latestAnchor(this.client, getAddress(keeper))
    return a === undefined ? undefined : { length: a.length, head: a.head }
  }
}
