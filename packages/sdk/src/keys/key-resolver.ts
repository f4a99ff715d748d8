/**
 * Gets a video's content key from its keepers: signs one request (EIP-712, so one wallet prompt),
 * asks every keeper of the video at once, checks each answer (the keeper's signature, that it
 * answers this request, that the share opens with the viewer's key and belongs to this video),
 * combines the first t shares of one epoch, and checks the result against the key fingerprint
 * on chain. It finishes as soon as a key is proven; when it cannot, the error says how many
 * keepers answered, how many released a share, and how many are needed.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import {
  combineShares, fromHex, keyRequestHash, openShareRelease, OracleErrorCode, releaseSealed, signKeyRequest, verifyKeyRelease,
  type AccessOracle, type Hex, type KeeperDirectory, type KeeperInfo, type KeyShare, type TypedDataSigner, type VideoId
} from '@p2pdv/core/keys'
import { KeeperClient, type KeeperTransportClient } from './keeper-client.ts'

export const KeyResolverErrorCode = {
  NO_CUSTODY: 'ERR_NO_KEEPERS',
  UNAVAILABLE: 'ERR_KEEPERS_UNAVAILABLE',
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
  BAD_RELEASE: 'ERR_BAD_RELEASE'
} as const

/** The keys a viewer resolves with: an account that signs, and the X25519 pair shares are sealed to. */
export interface ViewerKeys {
  account: TypedDataSigner
  x25519PublicKey: Uint8Array
  x25519PrivateKey: Uint8Array
}

export interface KeeperOutcome {
  keeper: Hex
  /** "released", a refusal code, ERR_KEEPER_UNREACHABLE, or ERR_BAD_RELEASE. */
  result: string
  ms: number
}

export interface ResolvedKey {
  key: Uint8Array
  epoch: number
  threshold: number
  /** Keepers whose shares made the key. */
  used: Hex[]
  outcomes: KeeperOutcome[]
}

export interface KeyResolverOptions {
  oracle: AccessOracle
  directory: KeeperDirectory
  viewer: ViewerKeys
  /** How keepers are reached (default: HTTP; `Libp2pKeeperClient` in Node for libp2p). */
  client?: KeeperTransportClient
  timeoutMs?: number
}

export class KeyResolver {
  private readonly o: KeyResolverOptions
  readonly client: KeeperTransportClient
  private readonly ownClient: boolean

  constructor (o: KeyResolverOptions) {
    this.o = o
    this.ownClient = o.client === undefined
    this.client = o.client ?? new KeeperClient(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs })
  }

  async close (): Promise<void> {
    if (this.ownClient) await this.client.close()
  }

  /**
   * `fingerprintFor` replaces the chain's fingerprint when one video has a key per epoch (live
   * streams: the creator-signed announcement of each epoch carries it); returning undefined
   * combines without a check (the caller verifies the key before use).
   */
  async resolve (video: VideoId, options: { signal?: AbortSignal, fingerprintFor?: (epoch: number) => Uint8Array | undefined } = {}): Promise<ResolvedKey> {
    const { oracle, directory, viewer } = this.o
    const [record, custody] = await Promise.all([oracle.video(video), oracle.custody(video)])
    if (record === undefined) throw new P2pdvError(OracleErrorCode.UNKNOWN_VIDEO, `${video} is not registered on chain`, { hint: 'Check the video id or link.' })
    if (custody === undefined || custody.keepers.length === 0) {
      throw new P2pdvError(KeyResolverErrorCode.NO_CUSTODY, `no keepers hold the key of ${video}`, { hint: 'Ask the creator for a direct grant (an envelope), or to deposit shares with keepers.' })
    }
    const keepers = await Promise.all(custody.keepers.map(async a => ({ address: a, info: await directory.keeper(a) })))
    const request = await signKeyRequest(viewer.account, { domain: oracle.domain, video, viewerKey: viewer.x25519PublicKey })
    const digest = keyRequestHash(request)
    const digestBytes = fromHex(digest, 32, 'digest')
    const stop = new AbortController()
    const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
    const outcomes: KeeperOutcome[] = []
    const groups = new Map<string, Array<{ share: KeyShare, keeper: Hex }>>()
    let done = false

    const ask = async (address: Hex, info: KeeperInfo | undefined): Promise<{ share: KeyShare, keeper: Hex } | undefined> => {
      const started = performance.now()
      const note = (result: string): undefined => { outcomes.push({ keeper: address, result, ms: performance.now() - started }); return undefined }
      if (info === undefined) return note('ERR_KEEPER_NOT_REGISTERED')
      let res
      try {
        res = await this.client.release(info, request, signal)
      } catch (err) {
        return note(err instanceof P2pdvError ? err.code : 'ERR_KEEPER_UNREACHABLE')
      }
      if (!res.ok) return note(res.code)
      try {
        await verifyKeyRelease(res, oracle.domain, address)
        const r = res.release
        if (r.request !== digest || r.video !== video) throw new Error('answers another request')
        const share = await openShareRelease(releaseSealed(r), { publicKey: viewer.x25519PublicKey, privateKey: viewer.x25519PrivateKey }, digestBytes)
        if (share.video !== video || share.epoch !== r.epoch || share.threshold !== r.threshold || share.shares !== r.shares) throw new Error('the share is not the one announced')
        note('released')
        return { share, keeper: address }
      } catch {
        return note(KeyResolverErrorCode.BAD_RELEASE)
      }
    }

    return await new Promise<ResolvedKey>((resolve, reject) => {
      let pending = keepers.length
      let lastCombineError: unknown
      const finish = (): void => {
        if (done || pending > 0) return
        done = true
        reject(lastCombineError ?? this.failure(video, keepers.length, custody.threshold, outcomes))
      }
      for (const k of keepers) {
        void ask(k.address, k.info).then(async got => {
          if (got !== undefined && !done) {
            const s = got.share
            const id = `${s.epoch}/${s.threshold}/${s.shares}`
            const group = groups.get(id) ?? []
            group.push(got)
            groups.set(id, group)
            if (group.length >= s.threshold) {
              try {
                const fingerprint = options.fingerprintFor === undefined ? record.keyFingerprint : options.fingerprintFor(s.epoch)
                const { key, used } = await combineShares(group.map(g => g.share), fingerprint)
                if (!done) {
                  done = true
                  stop.abort()
                  resolve({ key, epoch: s.epoch, threshold: s.threshold, used: group.filter(g => used.includes(g.share.x)).map(g => g.keeper), outcomes })
                } else {
                  key.fill(0)
                }
              } catch (err) {
                lastCombineError = err
              }
            }
          }
        }).finally(() => { pending--; finish() })
      }
    })
  }

  private failure (video: VideoId, asked: number, needed: number, outcomes: KeeperOutcome[]): P2pdvError {
    const released = outcomes.filter(o => o.result === 'released').length
    const unreachable = outcomes.filter(o => o.result === 'ERR_KEEPER_UNREACHABLE' || o.result === 'ERR_KEEPER_NOT_REGISTERED')
    const answered = asked - unreachable.length
    const refusals: Record<string, number> = {}
    for (const o of outcomes) if (o.result !== 'released' && !unreachable.includes(o)) refusals[o.result] = (refusals[o.result] ?? 0) + 1
    const details = { asked, answered, released, needed, refusals, unreachable: unreachable.map(o => o.keeper) }
    if (released === 0 && (refusals.ERR_ACCESS_DENIED ?? 0) > 0) {
      return new P2pdvError(KeyResolverErrorCode.ACCESS_DENIED, `no access to ${video}: ${refusals.ERR_ACCESS_DENIED} of ${asked} keepers refused because the chain grants this account no access`, {
        hint: 'Buy or subscribe on chain (`p2pdv buy`), or ask the creator to grant you access.', details
      })
    }
    return new P2pdvError(KeyResolverErrorCode.UNAVAILABLE, `${answered} of ${asked} keepers answered and ${released} released a share; ${needed} are needed`, {
      hint: unreachable.length > 0 ? `Keepers not answering: ${unreachable.map(o => o.keeper).join(', ')}. Try again later.` : 'Try again later.',
      details
    })
  }
}
