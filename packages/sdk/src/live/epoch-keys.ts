/**
 * Keeper-gated epoch keys of a live stream registered on chain (docs/protocol.md "Live streams",
 * `key.kind = 'keeper'`).
 *
 * Creator: `LiveKeeperCustody.handOver` splits each new epoch key t-of-n among the stream's
 * keepers exactly as a VOD key is split (one sealed share each, deposit signed by the owner); the
 * keepers' share epoch IS the live epoch, so each keeper holds the newest epoch only and refuses
 * older deposits (ERR_DEPOSIT_STALE). Viewers ask with the ordinary signed key request; keepers
 * check `hasAccess` on chain for each request, so a viewer whose access ended gets no later key.
 *
 * Viewer: `LiveEpochKeys` asks the keepers for the newest key, checks it against the fingerprint
 * the creator signed into the announcements (`key.check`), and walks back to earlier epochs
 * through the `prev`/`next` links (an earlier key sealed under a later one; never the reverse).
 */
import { equalBytes, keyFingerprint } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { LiveErrorCode, unwrapPrevEpochKey, type LiveAnnouncement, type PrevEpochKey, type StreamId } from '@p2pdv/core/live'
import type { KeeperDomain, KeeperInfo, TypedDataSigner, VideoId } from '@p2pdv/core/keys'
import { depositShares } from '../keys/custody.ts'
import type { KeeperTransportClient } from '../keys/keeper-client.ts'
import type { KeyResolver } from '../keys/key-resolver.ts'

export interface LiveKeeperCustodyOptions {
  video: VideoId
  keepers: KeeperInfo[]
  threshold: number
  /** The stream's owner on chain: keepers accept deposits signed by it only. */
  owner: TypedDataSigner
  domain: KeeperDomain
  client: KeeperTransportClient
}

export class LiveKeeperCustody {
  readonly video: VideoId
  private readonly o: LiveKeeperCustodyOptions
  /** Milliseconds the last hand-over took (all keepers in parallel). */
  lastHandOverMs = 0

  constructor (o: LiveKeeperCustodyOptions) {
    this.o = o
    this.video = o.video
  }

  /**
   * Deposits the key of `epoch` with every keeper at once; enough keepers (the threshold) must take
   * it, else the epoch could not be opened and this throws ERR_DEPOSIT_INCOMPLETE.
   */
  async handOver (epoch: number, key: Uint8Array): Promise<{ accepted: number }> {
    const t0 = performance.now()
    try {
      const results = await depositShares({ key, video: this.o.video, epoch, threshold: this.o.threshold, keepers: this.o.keepers, owner: this.o.owner, domain: this.o.domain, client: this.o.client })
      return { accepted: results.length }
    } catch (err) {
      const results = (err as P2pdvError).details?.results as Array<{ ok: boolean }> | undefined
      const accepted = results?.filter(r => r.ok).length ?? 0
      // A keeper that is down misses this epoch; the stream goes on while t keepers hold it.
      if (accepted >= this.o.threshold) return { accepted }
      throw err
    } finally {
      this.lastHandOverMs = performance.now() - t0
    }
  }
}

/** An earlier epoch's key sealed under a later one, as the announcements carry it. */
interface BackLink { later: number, earlier: number, link: PrevEpochKey }

export interface LiveEpochKeysOptions {
  stream: StreamId
  video: VideoId
  resolver: KeyResolver
}

/** Caps what a viewer remembers of a stream (a day of 10 s epochs). */
const MAX_EPOCHS_REMEMBERED = 10_000

export class LiveEpochKeys {
  private readonly o: LiveEpochKeysOptions
  private readonly keys = new Map<number, Uint8Array>()
  private readonly checks = new Map<number, Uint8Array>()
  /** later epoch → its link to the epoch before it. */
  private readonly back = new Map<number, BackLink>()
  private prefetching: Promise<void> | undefined
  private prefetchedFor = -1

  constructor (o: LiveEpochKeysOptions) {
    this.o = o
  }

  /** Learns an announcement's fingerprint and links (call it for each announcement, verified). */
  observe (a: LiveAnnouncement): void {
    const k = a.key
    if (k.kind !== 'keeper' || a.stream !== this.o.stream || k.video !== this.o.video) return
    if (this.checks.size >= MAX_EPOCHS_REMEMBERED && !this.checks.has(a.epoch)) return
    this.checks.set(a.epoch, k.check)
    if (k.prev !== undefined) this.back.set(a.epoch, { later: a.epoch, earlier: k.prev.epoch, link: k.prev })
    if (k.next !== undefined) {
      this.back.set(k.next.epoch, { later: k.next.epoch, earlier: a.epoch, link: { ...k.next, epoch: a.epoch } })
      // The next key is with the keepers: fetch it now, so playback does not wait at the boundary.
      if (this.prefetchedFor < k.next.epoch && !this.keys.has(k.next.epoch)) {
        this.prefetchedFor = k.next.epoch
        void this.prefetch().catch(() => {})
      }
    }
    const held = this.keys.get(a.epoch)
    if (held !== undefined && !equalBytes(keyFingerprint(held), k.check)) this.forget(a.epoch)
  }

  /** Asks the keepers for the newest key they hold (at most one request at a time). */
  async prefetch (): Promise<void> {
    this.prefetching ??= (async () => {
      try {
        const r = await this.o.resolver.resolve(this.o.video, { fingerprintFor: e => this.checks.get(e) })
        this.remember(r.epoch, r.key)
      } finally {
        this.prefetching = undefined
      }
    })()
    await this.prefetching
  }

  /** The key of `epoch`, from memory, a link back from a later key, or the keepers. */
  async keyFor (epoch: number): Promise<Uint8Array> {
    const known = await this.fromMemory(epoch)
    if (known !== undefined) return known
    await this.prefetch()
    const got = await this.fromMemory(epoch)
    if (got !== undefined) return got
    if (this.keys.size === 0) throw new P2pdvError('ERR_BAD_RELEASE', 'the key the keepers released does not match the fingerprint the creator signed', { hint: 'Some keepers answered with bad shares; try again later.' })
    const newest = Math.max(...this.keys.keys())
    if (newest < epoch) {
      throw new P2pdvError(LiveErrorCode.EPOCH_NOT_YET, `the keepers hold epoch ${newest}, not yet ${epoch}`, { hint: 'The creator hands each key over just before its epoch; retry in a second.' })
    }
    throw new P2pdvError(LiveErrorCode.EPOCH_GONE, `the keepers hold epoch ${newest} now, and no announcement seen links back to epoch ${epoch}`, { hint: 'Read the stream\'s announcements of the later epochs (they carry the link back), then retry.' })
  }

  private remember (epoch: number, key: Uint8Array): void {
    const check = this.checks.get(epoch)
    if (check !== undefined && !equalBytes(keyFingerprint(key), check)) { key.fill(0); return }
    this.keys.get(epoch)?.fill(0)
    this.keys.set(epoch, key)
  }

  private forget (epoch: number): void {
    this.keys.get(epoch)?.fill(0)
    this.keys.delete(epoch)
  }

  /** A held key, or one walked back to from a later held key through the links. */
  private async fromMemory (epoch: number): Promise<Uint8Array | undefined> {
    const held = this.keys.get(epoch)
    if (held !== undefined) return held
    const later = [...this.keys.keys()].filter(e => e > epoch).sort((a, b) => a - b)
    for (const start of later) {
      let cur = start
      let key = this.keys.get(start)!
      while (cur > epoch) {
        const l = this.back.get(cur)
        if (l === undefined || l.earlier < epoch) break
        try {
          key = await unwrapPrevEpochKey(this.o.stream, cur, key, l.link)
        } catch {
          break // a later key that is not the creator's: the check below never passes for it
        }
        cur = l.earlier
        this.remember(cur, key)
      }
      if (cur === epoch && this.keys.has(epoch)) return this.keys.get(epoch)
    }
    return undefined
  }

  /** Zeroes every key held. */
  close (): void {
    for (const k of this.keys.values()) k.fill(0)
    this.keys.clear()
  }
}

/**
 * The key of `epoch` of a keeper-gated stream: asks the keepers (threshold) with the viewer's
 * identity and checks the result against the creator-signed fingerprint in `announcements` (the
 * stream's window, verified), walking back through their links when the keepers already hold a
 * later epoch. For repeated use (prefetching at each boundary) keep a `LiveEpochKeys`.
 */
export async function fetchEpochKey (o: { stream: StreamId, video: VideoId, resolver: KeyResolver, announcements: LiveAnnouncement[], epoch: number }): Promise<Uint8Array> {
  const keys = new LiveEpochKeys({ stream: o.stream, video: o.video, resolver: o.resolver })
  for (const a of o.announcements) keys.observe(a)
  const key = await keys.keyFor(o.epoch)
  const out = new Uint8Array(key)
  keys.close()
  return out
}

/** Announcements kept while the resolver is being made (a window is 120; more is a burst). */
const MAX_EARLY_ANNOUNCEMENTS = 512

/**
 * Epoch keys of a stream whose video id is learnt from its first keeper announcement (signed by
 * the stream key): `connect` makes the resolver only then, so the chain, the wallet and the
 * keepers are reached once the stream is seen. What the CLI's `watch` of a registered stream uses.
 */
export class DeferredLiveEpochKeys {
  private readonly stream: StreamId
  private readonly connect: (video: VideoId) => Promise<KeyResolver>
  private session: Promise<LiveEpochKeys> | undefined
  private keys: LiveEpochKeys | undefined
  private early: LiveAnnouncement[] = []

  constructor (o: { stream: StreamId, connect: (video: VideoId) => Promise<KeyResolver> }) {
    this.stream = o.stream
    this.connect = o.connect
  }

  observe (a: LiveAnnouncement): void {
    if (a.key.kind !== 'keeper' || a.stream !== this.stream) return
    if (this.keys !== undefined) { this.keys.observe(a); return }
    if (this.early.length < MAX_EARLY_ANNOUNCEMENTS) this.early.push(a)
    const video = a.key.video as VideoId
    this.session ??= this.connect(video).then(resolver => {
      const keys = new LiveEpochKeys({ stream: this.stream, video, resolver })
      for (const e of this.early) keys.observe(e)
      this.early = []
      this.keys = keys
      return keys
    })
    this.session.catch(() => {})
  }

  async keyFor (epoch: number): Promise<Uint8Array> {
    if (this.session === undefined) throw new P2pdvError(LiveErrorCode.NOT_FOUND, 'no announcement of this stream names its video yet', { hint: 'Wait for the stream to start, then try again.' })
    return await (await this.session).keyFor(epoch)
  }

  /** Zeroes every epoch key held. */
  close (): void {
    this.keys?.close()
  }
}
