/**
 * Threshold custody of a content key: K is split t-of-n with Shamir's secret sharing over
 * GF(2^8) (`shamir-secret-sharing`, Privy's independently audited library) and each share is
 * sealed with HPKE to one keeper. A share carries what it belongs to, so shares of different
 * videos, epochs or splits are never combined:
 *
 *   share = 0x01 | video (32) | epoch u32be | t u8 | n u8 | x u8 | y (32)        (72 bytes)
 *
 * `x` is the evaluation point (1…255, random per split, as the library chooses), `y` the
 * polynomial values, one per key byte. Any t shares give K; t − 1 give a value independent of K.
 * A combined key is checked against the key fingerprint recorded on chain, and when more than t
 * shares are at hand a bad share is found by trying other subsets.
 *
 * HPKE bindings (see hpke.ts):
 *   to a keeper (deposit):  info = "p2pdv/v1/keeper-share" 0x00 video epoch   aad = keeper X25519 key
 *   to a viewer (release):  info = "p2pdv/v1/share-release" 0x00 requestHash  aad = viewer X25519 key
 * The release is bound to the digest of the viewer's signed request, which itself binds the video,
 * the viewer and a fresh nonce: a release answers exactly one request.
 */
import { combine, split } from 'shamir-secret-sharing'
import { P2pdvError } from '../errors.ts'
import { keyFingerprint } from '../fingerprint.ts'
import { checkKey, KEY_BYTES } from '../sealed.ts'
import { equalBytes } from '../cid.ts'
import { bindingBytes, hpkeOpen, hpkeSeal, type HpkeSealed } from './hpke.ts'
import { videoIdBytes, videoIdFromBytes, type VideoId } from './video-id.ts'

export const SHARE_VERSION = 1
export const SHARE_BYTES = 1 + 32 + 4 + 3 + KEY_BYTES
/** Keepers per video. Small on purpose: every viewer asks them all. */
export const MAX_KEEPERS = 32
export const MIN_THRESHOLD = 2
export const MAX_EPOCH = 2 ** 32 - 1
/** Subsets tried to route around bad shares before giving up. */
export const MAX_COMBINATIONS = 64

export const ShareErrorCode = {
  MALFORMED: 'ERR_SHARE_MALFORMED',
  BAD_SPLIT: 'ERR_SHARE_BAD_SPLIT',
  MISMATCH: 'ERR_SHARE_MISMATCH',
  TOO_FEW: 'ERR_SHARES_TOO_FEW',
  AUTH: 'ERR_SHARE_AUTH',
  FINGERPRINT: 'ERR_KEY_FINGERPRINT_MISMATCH'
} as const

export interface KeyShare {
  video: VideoId
  epoch: number
  threshold: number
  shares: number
  /** Evaluation point, 1…255. */
  x: number
  /** 32 bytes. */
  y: Uint8Array
}

export interface SplitParams {
  video: VideoId
  epoch: number
  threshold: number
  shares: number
}

export function checkSplitParams (p: Omit<SplitParams, 'video'>): void {
  if (!Number.isInteger(p.epoch) || p.epoch < 0 || p.epoch > MAX_EPOCH) throw new P2pdvError(ShareErrorCode.BAD_SPLIT, `the epoch must be an integer from 0 to ${MAX_EPOCH}`)
  if (!Number.isInteger(p.shares) || p.shares < MIN_THRESHOLD || p.shares > MAX_KEEPERS) {
    throw new P2pdvError(ShareErrorCode.BAD_SPLIT, `a key is split among ${MIN_THRESHOLD} to ${MAX_KEEPERS} keepers (got ${p.shares})`)
  }
  if (!Number.isInteger(p.threshold) || p.threshold < MIN_THRESHOLD || p.threshold > p.shares) {
    throw new P2pdvError(ShareErrorCode.BAD_SPLIT, `the threshold must be from ${MIN_THRESHOLD} to the number of keepers (${p.shares}); got ${p.threshold}`, {
      hint: 'A threshold of 1 would hand the whole key to a single keeper.'
    })
  }
}

export async function splitKey (key: Uint8Array, p: SplitParams): Promise<KeyShare[]> {
  checkKey(key)
  checkSplitParams(p)
  videoIdBytes(p.video)
  // The library checks `secret.constructor === Uint8Array`: hand it a plain copy, never a Buffer.
  const secret = Uint8Array.from(key)
  const raw = await split(secret, p.shares, p.threshold)
  secret.fill(0)
  return raw.map(r => {
    const share: KeyShare = { video: p.video, epoch: p.epoch, threshold: p.threshold, shares: p.shares, x: r[KEY_BYTES]!, y: r.slice(0, KEY_BYTES) }
    r.fill(0)
    return share
  })
}

export function encodeShare (s: KeyShare): Uint8Array {
  checkSplitParams(s)
  if (!Number.isInteger(s.x) || s.x < 1 || s.x > 255 || s.y.byteLength !== KEY_BYTES) throw new P2pdvError(ShareErrorCode.MALFORMED, 'a share has x in 1…255 and 32 bytes of y')
  const out = new Uint8Array(SHARE_BYTES)
  out[0] = SHARE_VERSION
  out.set(videoIdBytes(s.video), 1)
  new DataView(out.buffer).setUint32(33, s.epoch)
  out[37] = s.threshold
  out[38] = s.shares
  out[39] = s.x
  out.set(s.y, 40)
  return out
}

export function decodeShare (b: Uint8Array): KeyShare {
  const bad = (what: string): P2pdvError => new P2pdvError(ShareErrorCode.MALFORMED, `not a valid key share: ${what}`)
  if (b.byteLength !== SHARE_BYTES) throw bad(`a share is ${SHARE_BYTES} bytes`)
  if (b[0] !== SHARE_VERSION) throw bad('unsupported version')
  const s: KeyShare = {
    video: videoIdFromBytes(b.slice(1, 33)),
    epoch: new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(33),
    threshold: b[37]!,
    shares: b[38]!,
    x: b[39]!,
    y: b.slice(40)
  }
  try { checkSplitParams(s) } catch (err) { throw bad((err as Error).message) }
  if (s.x === 0) throw bad('x must not be 0 (that is the secret itself)')
  return s
}

function interpolate (shares: KeyShare[]): Promise<Uint8Array> {
  return combine(shares.map(s => {
    const r = new Uint8Array(KEY_BYTES + 1)
    r.set(s.y)
    r[KEY_BYTES] = s.x
    return r
  }))
}

/** Yields index subsets of size k of [0, n) in lexicographic order. */
function * subsets (n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i)
  while (true) {
    yield [...idx]
    let i = k - 1
    while (i >= 0 && idx[i] === n - k + i) i--
    if (i < 0) return
    idx[i]!++
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1
  }
}

export interface CombineResult {
  key: Uint8Array
  /** x of the shares that made the key. */
  used: number[]
}

/**
 * Combines shares of one split into K. With `fingerprint` (from the chain), the result must match
 * it; when it does not and more than t shares are available, other t-subsets are tried (up to
 * MAX_COMBINATIONS), so one keeper answering with a bad share cannot deny access.
 */
export async function combineShares (shares: KeyShare[], fingerprint?: Uint8Array): Promise<CombineResult> {
  if (shares.length === 0) throw new P2pdvError(ShareErrorCode.TOO_FEW, 'no key shares to combine')
  const first = shares[0]!
  const seen = new Set<number>()
  for (const s of shares) {
    if (s.video !== first.video || s.epoch !== first.epoch || s.threshold !== first.threshold || s.shares !== first.shares) {
      throw new P2pdvError(ShareErrorCode.MISMATCH, 'the shares belong to different videos, epochs or splits', {
        hint: 'A keeper holds a share from before the last refresh; ask the creator to run `p2pdv keys refresh`.'
      })
    }
    if (s.y.byteLength !== KEY_BYTES || s.x < 1 || s.x > 255) throw new P2pdvError(ShareErrorCode.MALFORMED, 'a share has x in 1…255 and 32 bytes of y')
    if (seen.has(s.x)) throw new P2pdvError(ShareErrorCode.MISMATCH, 'two shares have the same evaluation point')
    seen.add(s.x)
  }
  const t = first.threshold
  if (shares.length < t) {
    throw new P2pdvError(ShareErrorCode.TOO_FEW, `${shares.length} key share${shares.length === 1 ? '' : 's'} of the ${t} needed`, { details: { have: shares.length, need: t } })
  }
  let tried = 0
  for (const subset of subsets(shares.length, t)) {
    if (tried++ >= MAX_COMBINATIONS) break
    const chosen = subset.map(i => shares[i]!)
    const key = await interpolate(chosen)
    if (fingerprint === undefined || equalBytes(keyFingerprint(key), fingerprint)) return { key, used: chosen.map(s => s.x) }
    key.fill(0)
  }
  throw new P2pdvError(ShareErrorCode.FINGERPRINT, 'the key made from the keepers\' shares does not match the fingerprint on chain', {
    hint: 'Some keepers answered with bad shares; try again later, or report the keepers named in the audit log.',
    details: { shares: shares.length, need: t, subsetsTried: Math.min(tried, MAX_COMBINATIONS) }
  })
}

function epochBytes (epoch: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, epoch)
  return b
}

/** Seals a share to the keeper that will hold it (what a creator deposits). */
export async function sealShareToKeeper (share: KeyShare, keeperPublicKey: Uint8Array): Promise<HpkeSealed> {
  const body = encodeShare(share)
  try {
    return await hpkeSeal(keeperPublicKey, body, { info: bindingBytes('p2pdv/v1/keeper-share', videoIdBytes(share.video), epochBytes(share.epoch)), aad: keeperPublicKey })
  } finally {
    body.fill(0)
  }
}

/** Opens a deposited share with the keeper's key pair; it must be for `video` at `epoch`. */
export async function openKeeperShare (sealed: HpkeSealed, keeper: { publicKey: Uint8Array, privateKey: Uint8Array }, video: VideoId, epoch: number): Promise<KeyShare> {
  const body = await hpkeOpen(keeper.privateKey, sealed, { info: bindingBytes('p2pdv/v1/keeper-share', videoIdBytes(video), epochBytes(epoch)), aad: keeper.publicKey }, ShareErrorCode.AUTH, 'the deposited share')
  try {
    const s = decodeShare(body)
    if (s.video !== video || s.epoch !== epoch) throw new P2pdvError(ShareErrorCode.MISMATCH, 'the deposited share is for another video or epoch')
    return s
  } finally {
    body.fill(0)
  }
}

/** Re-seals a share to the viewer, bound to the digest of the request it answers. */
export async function sealShareRelease (share: KeyShare, viewerKey: Uint8Array, requestHash: Uint8Array): Promise<HpkeSealed> {
  if (requestHash.byteLength !== 32) throw new P2pdvError('ERR_BAD_ARGUMENT', 'the request hash is 32 bytes')
  const body = encodeShare(share)
  try {
    return await hpkeSeal(viewerKey, body, { info: bindingBytes('p2pdv/v1/share-release', requestHash), aad: viewerKey })
  } finally {
    body.fill(0)
  }
}

export async function openShareRelease (sealed: HpkeSealed, viewer: { publicKey: Uint8Array, privateKey: Uint8Array }, requestHash: Uint8Array): Promise<KeyShare> {
  const body = await hpkeOpen(viewer.privateKey, sealed, { info: bindingBytes('p2pdv/v1/share-release', requestHash), aad: viewer.publicKey }, ShareErrorCode.AUTH, 'the released share')
  try {
    return decodeShare(body)
  } finally {
    body.fill(0)
  }
}
