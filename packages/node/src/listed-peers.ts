/**
 * Peers other nodes list that this node's peer store lacks. A node learns its peers slowly (8
 * nodes bootstrapped on one: after 15 s, one of them knew 4 of the 7 others), and a repairer that
 * knows too few nodes has nowhere to put a rebuilt block. Entries are unauthenticated claims, so
 * they serve only as placement candidates: a target proves who it is by the signed receipt for the
 * block it stores. They never give a holder's address (a lying list must not make a holder look
 * absent), and they never replace an address the peer store has.
 */

export interface ListedPeer { peerId: string, url: string }

export interface ListedPeersOptions {
  self: string
  /** One node's list (`GET /api/v1/peers`); throws when the node does not answer. */
  fetchList: (source: ListedPeer, signal: AbortSignal) => Promise<Array<{ peerId: string, http: string }>>
  /** Lists are read again after this long. */
  refreshMs: number
  /** Nodes asked per refresh. */
  sources: number
  /** Peers kept from all lists together. */
  max: number
  now?: () => number
}

export class ListedPeers {
  private readonly opts: ListedPeersOptions
  private peers = new Map<string, ListedPeer>()
  private readAt = -Infinity
  /** Where in the live list the next refresh starts, so successive refreshes ask other nodes. */
  private cursor = 0

  constructor (opts: ListedPeersOptions) {
    this.opts = opts
  }

  /** The listed peer with this id, if the last refresh found one. */
  get (peerId: string): ListedPeer | undefined {
    return this.peers.get(peerId)
  }

  /**
   * Peers that up to `sources` of `live` list and `known` does not hold, read again once
   * `maxAgeMs` (default `refreshMs`) has passed (until then, the last answer). Each refresh asks
   * the next `sources` live nodes in turn, so a node no asked list names is found within a few.
   * A source that fails adds nothing.
   */
  async refresh (live: readonly ListedPeer[], known: ReadonlyMap<string, unknown>, signal: AbortSignal, maxAgeMs = this.opts.refreshMs): Promise<ReadonlyMap<string, ListedPeer>> {
    const now = (this.opts.now ?? Date.now)()
    if (now - this.readAt < maxAgeMs) return this.peers
    this.readAt = now
    const others = live.filter(p => p.peerId !== this.opts.self)
    const start = others.length === 0 ? 0 : this.cursor % others.length
    const sources = [...others.slice(start), ...others.slice(0, start)].slice(0, this.opts.sources)
    this.cursor = start + sources.length
    const lists = await Promise.all(sources.map(async p => {
      try {
        return await this.opts.fetchList(p, signal)
      } catch (err) {
        if (signal.aborted) throw err
        return []
      }
    }))
    const found = new Map<string, ListedPeer>()
    for (const entry of lists.flat()) {
      if (found.size >= this.opts.max) break
      if (entry.peerId === this.opts.self || known.has(entry.peerId) || found.has(entry.peerId)) continue
      found.set(entry.peerId, { peerId: entry.peerId, url: entry.http })
    }
    this.peers = found
    return found
  }
}
