/**
 * The placement record: a public, versioned, signed DAG-CBOR document per object that says which
 * nodes hold which block. Auditors and repair workers need it and hold no key, so it carries only
 * what nodes already see — block CIDs, sizes, counts — plus each block's audit Merkle root. It is
 * written by the uploader after placement and superseded by repair workers when blocks move.
 *
 * Trust: nothing in it is believed on its own. Every block is named by its CID (a rebuilt or
 * fetched block is checked against it), every audit root is checked by auditors against proofs,
 * and a node accepts a newer version only if it keeps the object's structure (scheme, stripes,
 * CIDs, sizes, roots, owner) byte for byte: an update can only change *who holds what*, and a
 * holder list that lies is found out by the next check or audit and repaired. The first version
 * must be signed by the object's owner key, which readers holding the content key re-derive
 * (HKDF of K), so they can tell the uploader's record from anyone else's. See docs/protocol.md.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import { ed25519Signer, verifyEd25519, type Ed25519Signer } from '../ed25519.ts'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { CID } from '../cid.ts'
import { checkErasureParams, stripeShardSize } from '../erasure/index.ts'
import { P2pdvError } from '../errors.ts'
import { fieldChecks } from '../fields.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'
import { isAuditLeafBytes, LEGACY_AUDIT_LEAF_BYTES } from '../audit/merkle.ts'

export const PlacementErrorCode = {
  MALFORMED: 'ERR_PLACEMENT_MALFORMED',
  UNSUPPORTED: 'ERR_PLACEMENT_UNSUPPORTED',
  TOO_LARGE: 'ERR_PLACEMENT_TOO_LARGE',
  SIGNATURE: 'ERR_PLACEMENT_SIGNATURE',
  STALE: 'ERR_PLACEMENT_STALE',
  CONFLICT: 'ERR_PLACEMENT_CONFLICT'
} as const

export const PLACEMENT_VERSION = 1
/** An encoded record is at most one block. */
export const MAX_PLACEMENT_BYTES = MAX_BLOCK_BYTES
/** Distinct nodes one record may name. */
export const MAX_PLACEMENT_NODES = 4096
/** Holders listed per block (replicas). */
export const MAX_HOLDERS_PER_BLOCK = 64
export const MAX_PEER_ID_LENGTH = 128
const SIGNING_DOMAIN = 'p2pdv/placement/v1'
const OWNER_KEY_INFO = new TextEncoder().encode('p2pdv/v1/placement-owner-key')

/** How an object's blocks are protected. */
export type PlacementScheme =
  | { type: 'rs', k: number, m: number }
  | { type: 'replicas', replicas: number }

export interface BlockPlacement {
  cid: CID
  size: number
  /** Audit Merkle root of the block (`merkleRoot` in @p2pdv/core/audit). */
  root: Uint8Array
  /** Peer ids of the nodes holding it (best known). */
  nodes: string[]
}

export interface StripePlacement {
  /**
   * rs: the stripe's data blocks then its m parity blocks (`data` of them are data blocks, the
   * object's next blocks in order). replicas: exactly one block, `data` = 1.
   */
  data: number
  blocks: BlockPlacement[]
}

export interface PlacementRecord {
  v: 1
  /** The object's (sealed) manifest CID. */
  object: CID
  /** 1 for the uploader's record; each update adds one. */
  version: number
  /** ms since the epoch, by the signer's clock (informational). */
  time: number
  scheme: PlacementScheme
  /** The sealed manifest block itself, replicated (it is the object's root). */
  manifest: BlockPlacement
  stripes: StripePlacement[]
  /**
   * Leaf size (bytes) of every audit root in the record. Absent in records written before it was
   * recorded, whose roots use LEGACY_AUDIT_LEAF_BYTES (see `auditLeafBytes`).
   */
  leaf?: number
  /**
   * Set by an uploader that acknowledged the object on fewer distinct nodes than `scheme` needs
   * (`p2pdv put --allow-degraded`). `scheme` is always what was requested and the holders are
   * what it got; this says so outright: `need` distinct nodes (k + m, or the replica count) were
   * wanted, and the object's blocks landed on `found` distinct nodes, some stripe or block short
   * (`placementShortfall` says which). Repair raises the object to `scheme` and then leaves it out.
   * Absent in records that met their scheme, which encode as they always did.
   */
  degraded?: PlacementDegraded
  /** Ed25519 public key of the object's owner (derived from the content key). */
  owner: Uint8Array
  /** Ed25519 public key that signed this version: the owner, or a repairing node. */
  signer: Uint8Array
  sig: Uint8Array
}

/** Distinct nodes a degraded write needed (by its scheme) and found. */
export interface PlacementDegraded { need: number, found: number }

export type UnsignedPlacementRecord = Omit<PlacementRecord, 'signer' | 'sig'>

function malformed (what: string): P2pdvError {
  return new P2pdvError(PlacementErrorCode.MALFORMED, `placement record is malformed: ${what}`, {
    hint: 'The record was written by an incompatible or faulty peer; it is ignored.'
  })
}

const field = fieldChecks(malformed)
const rec = field.map
const uint = (v: unknown, what: string, max: number): number => field.uint(v, what, max)
const bytes = field.bytes
const blockCid = field.blockCid

/** Peer ids are base58btc (12D3KooW…, Qm…) or multibase base32 (bafz…): a conservative alphabet. */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{20,128}$|^b[a-z2-7]{20,127}$/

function scheme (v: unknown): PlacementScheme {
  const s = rec(v, 'scheme')
  if (s.type === 'rs') {
    const k = uint(s.k, 'scheme.k', 256)
    const m = uint(s.m, 'scheme.m', 256)
    try { checkErasureParams(k, m) } catch { throw malformed('scheme k/m out of range') }
    return { type: 'rs', k, m }
  }
  if (s.type === 'replicas') {
    const replicas = uint(s.replicas, 'scheme.replicas', MAX_HOLDERS_PER_BLOCK)
    if (replicas < 1) throw malformed('scheme.replicas must be at least 1')
    return { type: 'replicas', replicas }
  }
  throw new P2pdvError(PlacementErrorCode.UNSUPPORTED, `placement scheme "${String(s.type).slice(0, 16)}" is not supported`, { hint: 'Upgrade p2pdv.' })
}

/** Distinct nodes a scheme places each stripe (or block) on. */
export function schemeNodes (s: PlacementScheme): number {
  return s.type === 'rs' ? s.k + s.m : s.replicas
}

function degradedField (v: unknown, sch: PlacementScheme): PlacementDegraded {
  const d = rec(v, 'degraded')
  const need = uint(d.need, 'degraded.need', MAX_PLACEMENT_NODES)
  if (need !== schemeNodes(sch)) throw malformed(`degraded.need must be the scheme's ${schemeNodes(sch)} nodes`)
  return { need, found: uint(d.found, 'degraded.found', MAX_PLACEMENT_NODES) }
}

/** Checks a decoded (wire-form) record; node ids are indices into `nodes`. */
export function validatePlacementRecord (value: unknown): PlacementRecord {
  const r = rec(value, 'record')
  if (r.v !== PLACEMENT_VERSION) throw new P2pdvError(PlacementErrorCode.UNSUPPORTED, `placement record version ${String(r.v).slice(0, 16)} is not supported`, { hint: 'Upgrade p2pdv.' })
  if (r.type !== 'placement') throw malformed('type must be "placement"')
  if (!Array.isArray(r.nodes) || r.nodes.length > MAX_PLACEMENT_NODES) throw malformed(`nodes must list at most ${MAX_PLACEMENT_NODES} peer ids`)
  const nodes = r.nodes.map((n, i) => {
    if (typeof n !== 'string' || !PEER_ID.test(n)) throw malformed(`nodes[${i}] is not a peer id`)
    return n
  })
  if (new Set(nodes).size !== nodes.length) throw malformed('nodes must be unique')
  const sch = scheme(r.scheme)
  const block = (v: unknown, what: string): BlockPlacement => {
    const b = rec(v, what)
    if (!Array.isArray(b.on) || b.on.length > MAX_HOLDERS_PER_BLOCK) throw malformed(`${what}.on must list at most ${MAX_HOLDERS_PER_BLOCK} holders`)
    const on = b.on.map((i, j) => {
      const idx = uint(i, `${what}.on[${j}]`, nodes.length - 1)
      return nodes[idx]!
    })
    if (new Set(on).size !== on.length) throw malformed(`${what}.on lists a holder twice`)
    return { cid: blockCid(b.cid, `${what}.cid`), size: uint(b.size, `${what}.size`, MAX_BLOCK_BYTES), root: bytes(b.root, `${what}.root`, 32), nodes: on }
  }
  if (!Array.isArray(r.stripes) || r.stripes.length === 0) throw malformed('stripes must list at least one stripe')
  const stripeCount = r.stripes.length
  const stripes = r.stripes.map((v, i): StripePlacement => {
    const s = rec(v, `stripes[${i}]`)
    if (!Array.isArray(s.blocks)) throw malformed(`stripes[${i}].blocks must be a list`)
    if (sch.type === 'replicas') {
      if (s.data !== 1 || s.blocks.length !== 1) throw malformed(`stripes[${i}] of a replicated object holds exactly one block`)
      return { data: 1, blocks: [block(s.blocks[0], `stripes[${i}].blocks[0]`)] }
    }
    const data = uint(s.data, `stripes[${i}].data`, sch.k)
    if (data < 1) throw malformed(`stripes[${i}].data must be at least 1`)
    if (s.blocks.length !== data + sch.m) throw malformed(`stripes[${i}] must list ${data} data and ${sch.m} parity blocks`)
    const blocks = s.blocks.map((b, j) => block(b, `stripes[${i}].blocks[${j}]`))
    const shard = stripeShardSize(blocks.slice(0, data).map(b => b.size))
    blocks.slice(data).forEach((p, j) => { if (p.size !== shard) throw malformed(`stripes[${i}] parity block ${j} must be ${shard} bytes (the stripe's shard size)`) })
    if (sch.type === 'rs' && i < stripeCount - 1 && data !== sch.k) throw malformed(`stripes[${i}] is not full (only the last stripe may be short)`)
    return { data, blocks }
  })
  if (r.leaf !== undefined && !isAuditLeafBytes(r.leaf)) throw malformed('leaf must be a power of two from 1024 to 65536')
  const degraded = r.degraded === undefined ? undefined : degradedField(r.degraded, sch)
  return {
    v: 1,
    object: blockCid(r.object, 'object'),
    version: uint(r.version, 'version', 2 ** 32),
    time: uint(r.time, 'time', Number.MAX_SAFE_INTEGER),
    scheme: sch,
    manifest: block(r.manifest, 'manifest'),
    stripes,
    ...(r.leaf === undefined ? {} : { leaf: r.leaf as number }),
    ...(degraded === undefined ? {} : { degraded }),
    owner: bytes(r.owner, 'owner', 32),
    signer: bytes(r.signer, 'signer', 32),
    sig: bytes(r.sig, 'sig', 64)
  }
}

/** The wire form: node ids interned into one table (a 52-character peer id is listed once). */
function toWire (r: UnsignedPlacementRecord & Partial<Pick<PlacementRecord, 'signer' | 'sig'>>): Record<string, unknown> {
  const nodes: string[] = []
  const index = new Map<string, number>()
  const intern = (id: string): number => {
    let i = index.get(id)
    if (i === undefined) { i = nodes.length; nodes.push(id); index.set(id, i) }
    return i
  }
  const block = (b: BlockPlacement): Record<string, unknown> => ({ cid: b.cid, size: b.size, root: b.root, on: b.nodes.map(intern) })
  const manifest = block(r.manifest)
  const stripes = r.stripes.map(s => ({ data: s.data, blocks: s.blocks.map(block) }))
  return {
    v: PLACEMENT_VERSION,
    type: 'placement',
    object: r.object,
    version: r.version,
    time: r.time,
    scheme: r.scheme,
    nodes,
    manifest,
    stripes,
    // Written only when set, so records from before the field encode (and verify) as they did.
    ...(r.leaf === undefined ? {} : { leaf: r.leaf }),
    // Likewise: only degraded writes carry it.
    ...(r.degraded === undefined ? {} : { degraded: { need: r.degraded.need, found: r.degraded.found } }),
    owner: r.owner,
    ...(r.signer === undefined ? {} : { signer: r.signer }),
    ...(r.sig === undefined ? {} : { sig: r.sig })
  }
}

/** The exact bytes a signer signs: the record without `sig`, under a domain tag. */
export function placementSigningPayload (r: UnsignedPlacementRecord & { signer: Uint8Array, sig?: Uint8Array }): Uint8Array {
  const { sig: _sig, ...unsigned } = r
  return dagCbor.encode([SIGNING_DOMAIN, toWire(unsigned)])
}

export function encodePlacementRecord (r: PlacementRecord): Uint8Array {
  const body = dagCbor.encode(toWire(r))
  if (body.byteLength > MAX_PLACEMENT_BYTES) {
    throw new P2pdvError(PlacementErrorCode.TOO_LARGE, `the placement record needs ${body.byteLength} bytes, more than ${MAX_PLACEMENT_BYTES}`, {
      hint: 'Split the object into smaller ones.'
    })
  }
  // Round-trip through the validator: never emit what a peer would refuse.
  validatePlacementRecord(dagCbor.decode(body))
  return body
}

function decodeUnverified (data: Uint8Array): PlacementRecord {
  if (data.byteLength > MAX_PLACEMENT_BYTES) throw new P2pdvError(PlacementErrorCode.TOO_LARGE, 'placement record larger than one block')
  let value: unknown
  try { value = dagCbor.decode(data) } catch (cause) { throw Object.assign(malformed('not DAG-CBOR'), { cause }) }
  return validatePlacementRecord(value)
}

/** Decodes and validates a record and checks its signature. */
export function decodePlacementRecord (data: Uint8Array): PlacementRecord {
  const r = decodeUnverified(data)
  verifyPlacementSignature(r)
  return r
}

/** The same, with the signature checked by the platform's Ed25519 where it has one (readers, pages). */
export async function decodePlacementRecordAsync (data: Uint8Array): Promise<PlacementRecord> {
  const r = decodeUnverified(data)
  if (!await verifyEd25519(r.sig, placementSigningPayload(r), r.signer)) throw badSignature()
  return r
}

function badSignature (): P2pdvError {
  return new P2pdvError(PlacementErrorCode.SIGNATURE, 'the placement record signature does not verify', { hint: 'The record was forged or damaged; it is ignored.' })
}

/** Signs with any Ed25519 signer (a node's libp2p key, or the owner key below). */
export async function signPlacementRecord (r: UnsignedPlacementRecord, signer: Uint8Array, sign: (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<PlacementRecord> {
  const sig = await sign(placementSigningPayload({ ...r, signer }))
  return { ...r, signer, sig }
}

export function verifyPlacementSignature (r: PlacementRecord): void {
  let ok = false
  try { ok = ed25519.verify(r.sig, placementSigningPayload(r), r.signer) } catch { ok = false }
  if (!ok) throw badSignature()
}

/**
 * The owner key as a signer on the platform's Ed25519 (WebCrypto) where there is one: what
 * uploads use. The same key as placementOwnerKey.
 */
export async function placementOwnerSigner (contentKey: Uint8Array): Promise<Ed25519Signer> {
  const seed = hkdf(sha256, contentKey, undefined, OWNER_KEY_INFO, 32)
  try {
    return await ed25519Signer(seed)
  } finally {
    seed.fill(0)
  }
}

/** The object owner's signing key, derived from the content key: anyone holding K can re-derive it. */
export function placementOwnerKey (contentKey: Uint8Array): { secretKey: Uint8Array, publicKey: Uint8Array, sign: (payload: Uint8Array) => Uint8Array } {
  const secretKey = hkdf(sha256, contentKey, undefined, OWNER_KEY_INFO, 32)
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey), sign: payload => ed25519.sign(payload, secretKey) }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** The leaf size of a record's audit roots. */
export function auditLeafBytes (r: Pick<PlacementRecord, 'leaf'>): number {
  return r.leaf ?? LEGACY_AUDIT_LEAF_BYTES
}

/** True when both records describe the same blocks (everything but holders, version, time, signer). */
export function samePlacementStructure (a: PlacementRecord, b: PlacementRecord): boolean {
  const sameBlock = (x: BlockPlacement, y: BlockPlacement): boolean => x.cid.equals(y.cid) && x.size === y.size && sameBytes(x.root, y.root)
  return a.object.equals(b.object) &&
    auditLeafBytes(a) === auditLeafBytes(b) &&
    JSON.stringify(a.scheme) === JSON.stringify(b.scheme) &&
    sameBytes(a.owner, b.owner) &&
    sameBlock(a.manifest, b.manifest) &&
    a.stripes.length === b.stripes.length &&
    a.stripes.every((s, i) => {
      const t = b.stripes[i]!
      return s.data === t.data && s.blocks.length === t.blocks.length && s.blocks.every((x, j) => sameBlock(x, t.blocks[j]!))
    })
}

/**
 * The total order every node applies to versions of one object's record: the higher version
 * wins, and between two records of the same version (two holders repaired at once, each
 * believing the other down) the one with the smaller signature wins. Without the tie-break,
 * each node would keep whichever copy reached it first, and the holders, the auditor and
 * readers could follow different holder lists for good. Signatures are unforgeable and differ
 * whenever contents or signer do, so the order is total; grinding one buys a holder nothing it
 * could not get by writing the next version. Positive when `a` supersedes `b`, 0 when equal.
 */
export function comparePlacement (a: Pick<PlacementRecord, 'version' | 'sig'>, b: Pick<PlacementRecord, 'version' | 'sig'>): number {
  if (a.version !== b.version) return a.version - b.version
  return compareBytes(b.sig, a.sig)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.byteLength - b.byteLength
}

/**
 * Whether `next` may replace `current` (undefined: none held yet). A first record must be
 * signed by its owner key; a replacement must come later in `comparePlacement`'s order (a higher
 * version, or the winner of a same-version tie) and have the same structure.
 * Throws ERR_PLACEMENT_STALE or ERR_PLACEMENT_CONFLICT; signatures are checked on decode.
 */
export function checkSupersedes (current: PlacementRecord | undefined, next: PlacementRecord): void {
  if (current === undefined) {
    if (next.version === 1 && !sameBytes(next.signer, next.owner)) {
      throw new P2pdvError(PlacementErrorCode.CONFLICT, 'a first placement record must be signed by the object owner', { hint: 'Only the uploader writes version 1.' })
    }
    return
  }
  if (!next.object.equals(current.object)) throw new P2pdvError(PlacementErrorCode.CONFLICT, 'the record is for another object')
  if (comparePlacement(next, current) <= 0) {
    const tie = next.version === current.version
    throw new P2pdvError(PlacementErrorCode.STALE, tie
      ? `another placement record of version ${next.version} is held, and it takes precedence (the smaller signature wins a tie)`
      : `placement version ${next.version} is not newer than the held version ${current.version}`, {
      hint: 'Fetch the latest record, apply the change to it and try again.',
      details: { held: current.version }
    })
  }
  if (!samePlacementStructure(current, next)) {
    throw new P2pdvError(PlacementErrorCode.CONFLICT, 'a newer placement record may only change which nodes hold blocks, not the blocks', {
      hint: 'The record was forged or written by a faulty peer; it is refused.'
    })
  }
}

/** Every block of the record, the manifest first, with its stripe position. */
export function placementBlocks (r: PlacementRecord): Array<{ block: BlockPlacement, stripe: number, index: number }> {
  const out: Array<{ block: BlockPlacement, stripe: number, index: number }> = [{ block: r.manifest, stripe: -1, index: 0 }]
  r.stripes.forEach((s, i) => { s.blocks.forEach((b, j) => { out.push({ block: b, stripe: i, index: j }) }) })
  return out
}
