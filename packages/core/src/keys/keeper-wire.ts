/**
 * What viewers, creators and keepers say to each other, and what each of them signs (EIP-712).
 *
 * Domain (all messages): { name: "p2pdv keeper", version: "1", chainId, verifyingContract }
 * where verifyingContract is the chain's AccessManager, so a signature made for one chain or one
 * deployment is refused by every other.
 *
 *   KeyRequest(bytes32 video, address viewer, bytes32 viewerKey, bytes32 nonce, uint64 expiry)   signed by the viewer
 *   KeyRelease(bytes32 video, bytes32 request, uint32 epoch, uint8 threshold, uint8 shares, bytes32 sealedShare)   signed by the keeper
 *   ShareDeposit(bytes32 video, uint32 epoch, uint8 threshold, uint8 shares, address keeper, bytes32 sealedShare)  signed by the video's owner
 *   KeeperLogHead(uint64 length, bytes32 head, uint64 time)   signed by the keeper
 *
 * sealedShare = keccak256(enc || ct). One signed request goes to every keeper (one wallet prompt);
 * each keeper accepts a (viewer, nonce) once and only until `expiry`, which may be at most
 * MAX_REQUEST_TTL_SECONDS ahead so the replay store stays bounded.
 *
 * On HTTP the messages are JSON; on libp2p the same objects are DAG-CBOR. Bytes travel as 0x hex
 * in both, so one validator serves both transports. Every field is checked for type and size.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { concatBytes, randomBytes } from '@noble/hashes/utils.js'
import { getAddress, hashTypedData, keccak256, recoverAddress, type TypedDataDefinition } from 'viem'
import { P2pdvError } from '../errors.ts'
import { HPKE_ENC_BYTES, HPKE_TAG_BYTES, type HpkeSealed } from './hpke.ts'
import { checkSplitParams, SHARE_BYTES } from './shares.ts'
import { fromHex, isVideoId, toHex, type Hex, type VideoId } from './video-id.ts'

export const KEEPER_WIRE_VERSION = 1
export const KEEPER_DOMAIN_NAME = 'p2pdv keeper'
export const KEEPER_DOMAIN_VERSION = '1'
/** A request may not be valid for longer than this (and keepers remember nonces this long). */
export const MAX_REQUEST_TTL_SECONDS = 300
export const DEFAULT_REQUEST_TTL_SECONDS = 60
/** Bytes of a JSON or CBOR keeper message, either way. */
export const MAX_KEEPER_MESSAGE_BYTES = 2048
export const SEALED_SHARE_CT_BYTES = SHARE_BYTES + HPKE_TAG_BYTES

export const KeeperWireErrorCode = {
  MALFORMED: 'ERR_KEEPER_MALFORMED',
  VERSION: 'ERR_KEEPER_WIRE_VERSION',
  WRONG_CHAIN: 'ERR_KEY_REQUEST_WRONG_CHAIN',
  EXPIRED: 'ERR_KEY_REQUEST_EXPIRED',
  TOO_LONG: 'ERR_KEY_REQUEST_TOO_LONG',
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE'
} as const

export interface KeeperDomain {
  chainId: number
  /** The AccessManager contract's address. */
  verifyingContract: Hex
}

export const keeperTypes = {
  KeyRequest: [
    { name: 'video', type: 'bytes32' },
    { name: 'viewer', type: 'address' },
    { name: 'viewerKey', type: 'bytes32' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'expiry', type: 'uint64' }
  ],
  KeyRelease: [
    { name: 'video', type: 'bytes32' },
    { name: 'request', type: 'bytes32' },
    { name: 'epoch', type: 'uint32' },
    { name: 'threshold', type: 'uint8' },
    { name: 'shares', type: 'uint8' },
    { name: 'sealedShare', type: 'bytes32' }
  ],
  ShareDeposit: [
    { name: 'video', type: 'bytes32' },
    { name: 'epoch', type: 'uint32' },
    { name: 'threshold', type: 'uint8' },
    { name: 'shares', type: 'uint8' },
    { name: 'keeper', type: 'address' },
    { name: 'sealedShare', type: 'bytes32' }
  ],
  KeeperLogHead: [
    { name: 'length', type: 'uint64' },
    { name: 'head', type: 'bytes32' },
    { name: 'time', type: 'uint64' }
  ]
} as const

type PrimaryType = keyof typeof keeperTypes

/** Anything that signs EIP-712 data: a viem LocalAccount, or a wallet client bound to an account. */
export interface TypedDataSigner {
  address: Hex
  signTypedData: (typedData: TypedDataDefinition<typeof keeperTypes, PrimaryType>) => Promise<Hex>
}

export function keeperDomain (d: KeeperDomain) {
  return { name: KEEPER_DOMAIN_NAME, version: KEEPER_DOMAIN_VERSION, chainId: d.chainId, verifyingContract: d.verifyingContract } as const
}

function typed<P extends PrimaryType> (domain: KeeperDomain, primaryType: P, message: Record<string, unknown>): TypedDataDefinition<typeof keeperTypes, P> {
  return { domain: keeperDomain(domain), types: keeperTypes, primaryType, message } as unknown as TypedDataDefinition<typeof keeperTypes, P>
}

async function recover (hash: Hex, signature: Hex): Promise<Hex | undefined> {
  try {
    return await recoverAddress({ hash, signature })
  } catch {
    return undefined
  }
}

function sameAddress (a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

export function sealedShareHash (s: HpkeSealed): Hex {
  return keccak256(concatBytes(s.enc, s.ct))
}

// ---- validation helpers -------------------------------------------------------------------

function malformed (what: string): P2pdvError {
  return new P2pdvError(KeeperWireErrorCode.MALFORMED, `malformed keeper message: ${what}`)
}

function obj (v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not an object')
  const m = v as Record<string, unknown>
  if (m.v !== KEEPER_WIRE_VERSION) throw new P2pdvError(KeeperWireErrorCode.VERSION, `unsupported keeper protocol version ${String(m.v).slice(0, 10)}`)
  return m
}

function hexField (v: unknown, len: number, what: string): Hex {
  fromHex(v, len, what, KeeperWireErrorCode.MALFORMED)
  return (v as string).toLowerCase() as Hex
}

function addressField (v: unknown, what: string): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw malformed(`${what} must be an address`)
  return getAddress(v)
}

function intField (v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw malformed(`${what} must be an integer from ${min} to ${max}`)
  return v
}

function videoField (v: unknown): VideoId {
  if (typeof v !== 'string' || !isVideoId(v.toLowerCase())) throw malformed('video must be a bytes32 (0x + 64 hex)')
  return v.toLowerCase() as VideoId
}

function domainFields (m: Record<string, unknown>): KeeperDomain {
  return { chainId: intField(m.chainId, 1, Number.MAX_SAFE_INTEGER, 'chainId'), verifyingContract: addressField(m.verifyingContract, 'verifyingContract') }
}

function signatureField (v: unknown): Hex {
  return hexField(v, 65, 'signature')
}

function checkDomain (got: KeeperDomain, want: KeeperDomain): void {
  if (got.chainId !== want.chainId || !sameAddress(got.verifyingContract, want.verifyingContract)) {
    throw new P2pdvError(KeeperWireErrorCode.WRONG_CHAIN, `signed for chain ${got.chainId} (${got.verifyingContract}); this keeper serves chain ${want.chainId} (${want.verifyingContract})`, {
      hint: 'The client and the keeper use different chains or deployments; check the chain settings.'
    })
  }
}

// ---- KeyRequest ---------------------------------------------------------------------------

export interface KeyRequestMessage {
  video: VideoId
  viewer: Hex
  /** The viewer's X25519 public key, 32 bytes as 0x hex: where the share is sealed to. */
  viewerKey: Hex
  nonce: Hex
  /** Unix seconds. */
  expiry: number
}

export interface KeyRequest extends KeyRequestMessage, KeeperDomain {
  v: 1
  signature: Hex
}

export interface NewKeyRequest {
  domain: KeeperDomain
  video: VideoId
  viewerKey: Uint8Array
  ttlSeconds?: number
  /** Unix seconds, for tests. */
  now?: number
}

export async function signKeyRequest (signer: TypedDataSigner, r: NewKeyRequest): Promise<KeyRequest> {
  const ttl = r.ttlSeconds ?? DEFAULT_REQUEST_TTL_SECONDS
  const now = r.now ?? Math.floor(Date.now() / 1000)
  const message: KeyRequestMessage = {
    video: r.video,
    viewer: getAddress(signer.address),
    viewerKey: toHex(r.viewerKey),
    nonce: toHex(randomBytes(32)),
    expiry: now + ttl
  }
  const signature = await signer.signTypedData(typed(r.domain, 'KeyRequest', { ...message, expiry: BigInt(message.expiry) }))
  return { v: 1, ...r.domain, ...message, signature }
}

export function keyRequestHash (r: KeyRequest): Hex {
  return hashTypedData(typed(r, 'KeyRequest', { video: r.video, viewer: r.viewer, viewerKey: r.viewerKey, nonce: r.nonce, expiry: BigInt(r.expiry) }))
}

export function parseKeyRequest (v: unknown): KeyRequest {
  const m = obj(v)
  return {
    v: 1,
    ...domainFields(m),
    video: videoField(m.video),
    viewer: addressField(m.viewer, 'viewer'),
    viewerKey: hexField(m.viewerKey, 32, 'viewerKey'),
    nonce: hexField(m.nonce, 32, 'nonce'),
    expiry: intField(m.expiry, 0, 2 ** 53 - 1, 'expiry'),
    signature: signatureField(m.signature)
  }
}

export interface VerifyRequestOptions {
  domain: KeeperDomain
  /** Unix seconds. */
  now: number
  maxTtlSeconds?: number
}

/**
 * Checks chain, freshness and signature, cheapest first; returns the request's EIP-712 digest
 * (what the release is bound to and what the audit log records).
 */
export async function verifyKeyRequest (r: KeyRequest, o: VerifyRequestOptions): Promise<Hex> {
  checkDomain(r, o.domain)
  if (r.expiry <= o.now) throw new P2pdvError(KeeperWireErrorCode.EXPIRED, `the request expired ${o.now - r.expiry} s ago`, { hint: 'Clocks may be off; sign a new request.' })
  const maxTtl = o.maxTtlSeconds ?? MAX_REQUEST_TTL_SECONDS
  if (r.expiry > o.now + maxTtl) throw new P2pdvError(KeeperWireErrorCode.TOO_LONG, `requests may be valid for at most ${maxTtl} s`, { hint: 'Sign a request with a shorter expiry.' })
  const hash = keyRequestHash(r)
  const signer = await recover(hash, r.signature)
  if (signer === undefined || !sameAddress(signer, r.viewer)) throw new P2pdvError(KeeperWireErrorCode.BAD_SIGNATURE, 'the request is not signed by the viewer it names')
  return hash
}

// ---- KeyRelease (the keeper's answer) -----------------------------------------------------

export interface KeyRelease {
  keeper: Hex
  video: VideoId
  /** The request's EIP-712 digest. */
  request: Hex
  epoch: number
  threshold: number
  shares: number
  enc: Hex
  ct: Hex
}

export type KeyResponse =
  | { v: 1, ok: true, release: KeyRelease, signature: Hex }
  | { v: 1, ok: false, code: string, message: string }

function releaseMessage (r: KeyRelease): Record<string, unknown> {
  return { video: r.video, request: r.request, epoch: r.epoch, threshold: r.threshold, shares: r.shares, sealedShare: sealedShareHash(releaseSealed(r)) }
}

export function releaseSealed (r: Pick<KeyRelease, 'enc' | 'ct'>): HpkeSealed {
  return { enc: fromHex(r.enc, HPKE_ENC_BYTES, 'enc'), ct: fromHex(r.ct, SEALED_SHARE_CT_BYTES, 'ct') }
}

export async function signKeyRelease (signer: TypedDataSigner, domain: KeeperDomain, r: Omit<KeyRelease, 'keeper'>): Promise<KeyResponse> {
  const release: KeyRelease = { keeper: getAddress(signer.address), ...r }
  const signature = await signer.signTypedData(typed(domain, 'KeyRelease', releaseMessage(release)))
  return { v: 1, ok: true, release, signature }
}

/** Checks a keeper's signature on its release; `keeper` is the address the directory lists. */
export async function verifyKeyRelease (res: { release: KeyRelease, signature: Hex }, domain: KeeperDomain, keeper: Hex): Promise<void> {
  const signer = await recover(hashTypedData(typed(domain, 'KeyRelease', releaseMessage(res.release))), res.signature)
  if (signer === undefined || !sameAddress(signer, keeper) || !sameAddress(res.release.keeper, keeper)) {
    throw new P2pdvError(KeeperWireErrorCode.BAD_SIGNATURE, `the release is not signed by keeper ${keeper}`)
  }
}

export function parseKeyResponse (v: unknown): KeyResponse {
  const m = obj(v)
  if (m.ok === false) {
    if (typeof m.code !== 'string' || !/^ERR_[A-Z0-9_]{1,60}$/.test(m.code) || typeof m.message !== 'string' || m.message.length > 512) throw malformed('refusal must carry a code and a message')
    return { v: 1, ok: false, code: m.code, message: m.message }
  }
  if (m.ok !== true) throw malformed('ok must be true or false')
  const r = m.release as Record<string, unknown> | undefined
  if (typeof r !== 'object' || r === null) throw malformed('release missing')
  const release: KeyRelease = {
    keeper: addressField(r.keeper, 'keeper'),
    video: videoField(r.video),
    request: hexField(r.request, 32, 'request'),
    epoch: intField(r.epoch, 0, 2 ** 32 - 1, 'epoch'),
    threshold: intField(r.threshold, 2, 255, 'threshold'),
    shares: intField(r.shares, 2, 255, 'shares'),
    enc: hexField(r.enc, HPKE_ENC_BYTES, 'enc'),
    ct: hexField(r.ct, SEALED_SHARE_CT_BYTES, 'ct')
  }
  return { v: 1, ok: true, release, signature: signatureField(m.signature) }
}

// ---- ShareDeposit (creator → keeper) ------------------------------------------------------

export interface ShareDeposit extends KeeperDomain {
  v: 1
  video: VideoId
  epoch: number
  threshold: number
  shares: number
  /** The keeper this share is for. */
  keeper: Hex
  enc: Hex
  ct: Hex
  /** By the video's owner. */
  signature: Hex
}

function depositMessage (d: Omit<ShareDeposit, 'signature' | 'v' | 'chainId' | 'verifyingContract'>): Record<string, unknown> {
  return { video: d.video, epoch: d.epoch, threshold: d.threshold, shares: d.shares, keeper: d.keeper, sealedShare: sealedShareHash(releaseSealed(d)) }
}

export async function signShareDeposit (owner: TypedDataSigner, domain: KeeperDomain, d: { video: VideoId, epoch: number, threshold: number, shares: number, keeper: Hex, sealed: HpkeSealed }): Promise<ShareDeposit> {
  checkSplitParams(d)
  const body = { video: d.video, epoch: d.epoch, threshold: d.threshold, shares: d.shares, keeper: getAddress(d.keeper), enc: toHex(d.sealed.enc), ct: toHex(d.sealed.ct) }
  const signature = await owner.signTypedData(typed(domain, 'ShareDeposit', depositMessage(body)))
  return { v: 1, ...domain, ...body, signature }
}

/** The address that signed a deposit (the keeper then checks it owns the video). */
export async function shareDepositSigner (d: ShareDeposit, domain: KeeperDomain): Promise<Hex> {
  checkDomain(d, domain)
  const signer = await recover(hashTypedData(typed(d, 'ShareDeposit', depositMessage(d))), d.signature)
  if (signer === undefined) throw new P2pdvError(KeeperWireErrorCode.BAD_SIGNATURE, 'the deposit signature is invalid')
  return signer
}

export function parseShareDeposit (v: unknown): ShareDeposit {
  const m = obj(v)
  const d: ShareDeposit = {
    v: 1,
    ...domainFields(m),
    video: videoField(m.video),
    epoch: intField(m.epoch, 0, 2 ** 32 - 1, 'epoch'),
    threshold: intField(m.threshold, 2, 255, 'threshold'),
    shares: intField(m.shares, 2, 255, 'shares'),
    keeper: addressField(m.keeper, 'keeper'),
    enc: hexField(m.enc, HPKE_ENC_BYTES, 'enc'),
    ct: hexField(m.ct, SEALED_SHARE_CT_BYTES, 'ct'),
    signature: signatureField(m.signature)
  }
  try { checkSplitParams(d) } catch (err) { throw malformed((err as Error).message) }
  return d
}

// ---- KeeperLogHead ------------------------------------------------------------------------

export interface SignedLogHead {
  keeper: Hex
  /** Number of entries. */
  length: number
  head: Hex
  /** Unix ms. */
  time: number
  signature: Hex
}

export async function signLogHead (signer: TypedDataSigner, domain: KeeperDomain, h: { length: number, head: Hex, time: number }): Promise<SignedLogHead> {
  const signature = await signer.signTypedData(typed(domain, 'KeeperLogHead', { length: BigInt(h.length), head: h.head, time: BigInt(h.time) }))
  return { keeper: getAddress(signer.address), ...h, signature }
}

export async function verifyLogHead (h: SignedLogHead, domain: KeeperDomain, keeper: Hex): Promise<void> {
  const signer = await recover(hashTypedData(typed(domain, 'KeeperLogHead', { length: BigInt(h.length), head: h.head, time: BigInt(h.time) })), h.signature)
  if (signer === undefined || !sameAddress(signer, keeper)) throw new P2pdvError(KeeperWireErrorCode.BAD_SIGNATURE, `the log head is not signed by keeper ${keeper}`)
}

export function parseSignedLogHead (v: unknown): SignedLogHead {
  if (typeof v !== 'object' || v === null) throw malformed('log head missing')
  const m = v as Record<string, unknown>
  return {
    keeper: addressField(m.keeper, 'keeper'),
    length: intField(m.length, 0, Number.MAX_SAFE_INTEGER, 'length'),
    head: hexField(m.head, 32, 'head'),
    time: intField(m.time, 0, Number.MAX_SAFE_INTEGER, 'time'),
    signature: signatureField(m.signature)
  }
}

// ---- framing for libp2p -------------------------------------------------------------------

export const KEEPER_PROTOCOL = '/p2pdv/keeper/1.0.0'

export function encodeKeeperMessage (m: KeyRequest | KeyResponse): Uint8Array {
  return dagCbor.encode(m)
}

export function decodeKeeperMessage (data: Uint8Array): unknown {
  if (data.byteLength > MAX_KEEPER_MESSAGE_BYTES) throw malformed('message too large')
  try { return dagCbor.decode(data) } catch { throw malformed('not DAG-CBOR') }
}

