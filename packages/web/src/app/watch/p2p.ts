/**
 * The watch page's part in P2P delivery (issue 16): the viewer's consent (on by default, an off
 * switch kept in localStorage; off = the page never joins a swarm, so it sends nothing to other
 * viewers and they never learn its address) and one swarm session: after the first frame, the
 * swarm code (libp2p, ~600 KB) is loaded and the page joins the video's swarm at its home node,
 * ranked among the nodes the page knows (joinVideoSwarmAtHome), so pages served by different nodes
 * meet. Any failure (no relay, no WebRTC, a CSP refusal) leaves playback on the nodes; the panel
 * says why.
 *
 * Before the first frame nothing of P2P runs (issue 16: P2P never makes start-up slower): no
 * join, even if the viewer switches P2P on then, and no block waits for a swarm; the scheduler
 * is told a swarm is coming only when the join starts.
 */
import type { PeerDelivery, PeerDeliveryStats } from '@p2pdv/sdk/player'
import { isP2pdvError } from '@p2pdv/core/errors'
import type { CID } from '@p2pdv/core'
import type { SwarmNode } from '@p2pdv/sdk/swarm'

export const P2P_CONSENT_KEY = 'p2pdv.p2p'

/** The meta tag a node started with `--p2p-default off` adds to its pages (the node's P2P_DEFAULT_META, http-api.ts). */
export const P2P_DEFAULT_META = 'p2pdv-p2p-default'

/** The node operator's default for viewers who have not chosen: on unless the page says off. */
export function operatorP2pDefault (doc: Pick<Document, 'querySelector'> | undefined = globalThis.document): boolean {
  return doc?.querySelector(`meta[name="${P2P_DEFAULT_META}"]`)?.getAttribute('content') !== 'off'
}

/**
 * Whether this page may join a swarm: the viewer's own choice on this browser ('on' / 'off'),
 * else the operator's default.
 */
export function p2pAllowed (storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage, operatorDefault: boolean = operatorP2pDefault()): boolean {
  let chosen: string | null | undefined
  try { chosen = storage?.getItem(P2P_CONSENT_KEY) } catch { chosen = undefined }
  return chosen === 'on' ? true : chosen === 'off' ? false : operatorDefault
}

/** The viewer has chosen on this browser (the panel then says "off on this browser", not the node's default). */
export function p2pChosen (storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): boolean {
  try { const v = storage?.getItem(P2P_CONSENT_KEY); return v === 'on' || v === 'off' } catch { return false }
}

export function setP2pAllowed (on: boolean, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try { storage?.setItem(P2P_CONSENT_KEY, on ? 'on' : 'off') } catch { /* private mode: the choice lasts this page only */ }
}

export type SwarmState =
  | { kind: 'off' }
  | { kind: 'waiting' }
  | { kind: 'joining' }
  | { kind: 'joined', home: string }
  | { kind: 'unavailable', code: string }

interface Stoppable { stop: () => Promise<void> }

/** One page's swarm: joined on demand, stopped when P2P is switched off or the page closes. */
export class SwarmSession {
  private readonly delivery: PeerDelivery
  private readonly manifest: CID
  private readonly nodes: () => SwarmNode[]
  private swarm: Stoppable | undefined
  private joining: Promise<void> | undefined
  private generation = 0
  private current: SwarmState
  private readonly listeners = new Set<() => void>()
  private settleExpected: () => void = () => {}
  /** The player showed its first frame: joining is allowed from then on. */
  private started = false

  /** `nodes`: the nodes the page reads from, read when the join starts (the home is ranked among them). */
  constructor (delivery: PeerDelivery, manifest: CID, nodes: () => SwarmNode[], allowed: boolean) {
    this.delivery = delivery
    this.manifest = manifest
    this.nodes = nodes
    this.current = allowed ? { kind: 'waiting' } : { kind: 'off' }
  }

  /**
   * Tells the scheduler a swarm is coming: blocks with time to spare wait for it (bounded). Only
   * once the join starts: an expected swarm announced earlier made the blocks right after the
   * first frame wait their whole slack for a join that had not begun.
   */
  private expect (): void {
    this.settleExpected()
    this.delivery.expectSwarm(new Promise<void>(resolve => { this.settleExpected = resolve }))
  }

  get state (): SwarmState { return this.current }

  stats (): PeerDeliveryStats & { state: SwarmState['kind'], home?: string } {
    return { ...this.delivery.stats(), state: this.current.kind, ...(this.current.kind === 'joined' ? { home: this.current.home } : {}) }
  }

  subscribe (fn: () => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  private set (s: SwarmState): void {
    this.current = s
    // Joined, failed or off: blocks stop waiting for a swarm.
    if (s.kind !== 'waiting' && s.kind !== 'joining') this.settleExpected()
    for (const fn of this.listeners) fn()
  }

  /** The player showed its first frame: joins the video's swarm (unless P2P is off). */
  firstFrame (): void {
    this.started = true
    this.start()
  }

  /** Joins the video's swarm (a no-op before the first frame, when off, or already in). */
  private start (): void {
    if (!this.started || this.current.kind === 'off' || this.swarm !== undefined || this.joining !== undefined) return
    const generation = ++this.generation
    this.expect()
    this.set({ kind: 'joining' })
    this.joining = this.join(generation).finally(() => { this.joining = undefined })
  }

  private async join (generation: number): Promise<void> {
    try {
      const { joinVideoSwarmAtHome } = await import('@p2pdv/sdk/swarm')
      const { swarm, home } = await joinVideoSwarmAtHome({ nodes: this.nodes(), manifest: this.manifest, source: this.delivery.held })
      if (generation !== this.generation) { await swarm.stop(); return }
      this.swarm = swarm
      this.delivery.attach(swarm)
      this.set({ kind: 'joined', home: home.peerId })
    } catch (err) {
      this.settle(generation, { kind: 'unavailable', code: isP2pdvError(err) ? err.code : 'ERR_P2P_UNAVAILABLE' })
    }
  }

  private settle (generation: number, s: SwarmState): void {
    if (generation === this.generation) this.set(s)
  }

  /** The viewer's switch: off stops the swarm at once (peers are dropped), on joins again. */
  async setAllowed (on: boolean): Promise<void> {
    if (on) {
      if (this.current.kind === 'off') this.set({ kind: 'waiting' })
      this.start()
      return
    }
    await this.stop()
    this.set({ kind: 'off' })
  }

  async stop (): Promise<void> {
    this.generation++
    this.delivery.detach()
    const swarm = this.swarm
    this.swarm = undefined
    await swarm?.stop().catch(() => {})
  }
}
