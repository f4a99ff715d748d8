/**
 * The epoch keys of a live stream registered on chain, asked of its keepers as this page's viewer
 * (a chunk of its own, like keeper-key-source.ts: the page loads it only for a live link without a
 * key). The video id comes from the stream's first announcement (signed by the stream key); the
 * chain, the wallet and the keepers are reached only then.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import type { VideoInfo } from '@p2pdv/chain'
import type { VideoId } from '@p2pdv/core/keys'
import type { LiveAnnouncement, StreamId } from '@p2pdv/core/live'
import { LiveEpochKeys, type LiveEpochKeyProvider } from '@p2pdv/sdk/browser'
import { connectKeepers, type KeeperSession } from './keeper-key-source.ts'

/** Announcements kept while the chain is being reached (a window is 120; a burst is refused). */
const MAX_EARLY_ANNOUNCEMENTS = 512

export class BrowserLiveKeys implements LiveEpochKeyProvider {
  private readonly stream: StreamId
  private readonly origin: string
  private session: Promise<{ keys: LiveEpochKeys, s: KeeperSession }> | undefined
  private early: LiveAnnouncement[] = []
  private keys: LiveEpochKeys | undefined
  private viewerKey: Uint8Array | undefined
  /** Epochs whose key this viewer got (to tell "access ended" from "no access"). */
  private opened = 0

  constructor (o: { stream: StreamId, origin: string }) {
    this.stream = o.stream
    this.origin = o.origin
  }

  observe (a: LiveAnnouncement): void {
    if (a.key.kind !== 'keeper') return
    if (this.keys !== undefined) { this.keys.observe(a); return }
    if (this.early.length < MAX_EARLY_ANNOUNCEMENTS) this.early.push(a)
    this.session ??= this.connect(a.key.video as VideoId)
    this.session.catch(() => {})
  }

  async keyFor (epoch: number): Promise<Uint8Array> {
    if (this.session === undefined) throw new P2pdvError('ERR_LIVE_NOT_FOUND', 'no announcement of this stream names its video yet', { hint: 'Wait for the stream to start, then reload.' })
    const { keys, s } = await this.session
    try {
      const key = await keys.keyFor(epoch)
      this.opened++
      return key
    } catch (err) {
      if (!(err instanceof P2pdvError) || err.code !== 'ERR_ACCESS_DENIED') throw err
      const who = `${s.viewer.address}${s.injected ? '' : ' (a devnet wallet kept by this page)'}`
      throw new P2pdvError(err.code, this.opened > 0
        ? `the keepers refused the key of epoch ${epoch}: this account's access to the stream ended`
        : err.message, {
        hint: `This page asks as ${who}; buy, subscribe or be granted access for that address, then reload.`,
        ...(err.details === undefined ? {} : { details: err.details })
      })
    }
  }

  private async connect (video: VideoId): Promise<{ keys: LiveEpochKeys, s: KeeperSession }> {
    const s = await connectKeepers(this.origin)
    this.viewerKey = s.viewer.x25519PrivateKey
    const keys = new LiveEpochKeys({ stream: this.stream, video, resolver: s.resolver })
    for (const a of this.early) keys.observe(a)
    this.early = []
    this.keys = keys
    return { keys, s }
  }

  /** The stream's policy and price on chain (for the panel that says what opens it). */
  async videoInfo (video: VideoId): Promise<VideoInfo> {
    if (this.session === undefined) throw new P2pdvError('ERR_LIVE_NOT_FOUND', 'no announcement of this stream names its video yet', { hint: 'Wait for the stream to start, then reload.' })
    return await (await this.session).s.client.getVideo(video)
  }

  /** Zeroes the viewer's key and every epoch key held. */
  close (): void {
    this.keys?.close()
    this.viewerKey?.fill(0)
  }
}
