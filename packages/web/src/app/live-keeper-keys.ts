/**
 * The epoch keys of a live stream registered on chain, asked of its keepers as this page's viewer
 * (a chunk of its own, like keeper-key-source.ts: the page loads it only for a live link without a
 * key). The sdk's DeferredLiveEpochKeys learns the video id from the stream's first announcement
 * (signed by the stream key); the chain, the wallet and the keepers are reached only then. This
 * adds what a page needs: the wallet session, and refusals that say which account asked.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import type { VideoInfo } from '@p2pdv/chain'
import type { VideoId } from '@p2pdv/core/keys'
import type { LiveAnnouncement, StreamId } from '@p2pdv/core/live'
import { DeferredLiveEpochKeys, type LiveEpochKeyProvider } from '@p2pdv/sdk/browser'
import { connectKeepers, type KeeperSession } from './keeper-key-source.ts'

export class BrowserLiveKeys implements LiveEpochKeyProvider {
  private readonly keys: DeferredLiveEpochKeys
  private session: Promise<KeeperSession> | undefined
  private viewerKey: Uint8Array | undefined
  /** Epochs whose key this viewer got (to tell "access ended" from "no access"). */
  private opened = 0

  constructor (o: { stream: StreamId, origin: string }) {
    this.keys = new DeferredLiveEpochKeys({
      stream: o.stream,
      connect: async () => {
        this.session ??= connectKeepers(o.origin)
        const s = await this.session
        this.viewerKey = s.viewer.x25519PrivateKey
        return s.resolver
      }
    })
  }

  observe (a: LiveAnnouncement): void {
    this.keys.observe(a)
  }

  async keyFor (epoch: number): Promise<Uint8Array> {
    try {
      const key = await this.keys.keyFor(epoch)
      this.opened++
      return key
    } catch (err) {
      if (!(err instanceof P2pdvError) || err.code !== 'ERR_ACCESS_DENIED' || this.session === undefined) throw err
      const s = await this.session
      const who = `${s.viewer.address}${s.injected ? '' : ' (a devnet wallet kept by this page)'}`
      throw new P2pdvError(err.code, this.opened > 0
        ? `the keepers refused the key of epoch ${epoch}: this account's access to the stream ended`
        : err.message, {
        hint: `This page asks as ${who}; buy, subscribe or be granted access for that address, then reload.`,
        ...(err.details === undefined ? {} : { details: err.details })
      })
    }
  }

  /** The stream's policy and price on chain (for the panel that says what opens it). */
  async videoInfo (video: VideoId): Promise<VideoInfo> {
    if (this.session === undefined) throw new P2pdvError('ERR_LIVE_NOT_FOUND', 'no announcement of this stream names its video yet', { hint: 'Wait for the stream to start, then reload.' })
    return await (await this.session).client.getVideo(video)
  }

  /** Zeroes the viewer's key and every epoch key held. */
  close (): void {
    this.keys.close()
    this.viewerKey?.fill(0)
  }
}
