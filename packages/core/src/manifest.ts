/**
 * Manifests: what an object is made of. DAG-CBOR, versioned, validated field by field on decode
 * (a manifest comes from the network and is untrusted until its AEAD tag verified, and checked
 * even then). The sealed manifest is one block:
 *
 *   block = 0x01 (format) || nonce (12 random bytes) || AES-256-GCM(K_m, nonce, aad = "p2pdv/v1\0manifest", cbor)
 *
 * with K_m = HKDF-SHA256(K, info = "p2pdv/v1/manifest-key"): a separate key, so a manifest can be
 * re-sealed (updated) under a fresh random nonce without touching the chunk nonce space of K.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { aead } from '#aead'
import { AeadAuthError } from './aead/types.ts'
import { blockCid, verifyBlock, type CID } from './cid.ts'
import { P2pdvError } from './errors.ts'
import { checkErasureParams } from './erasure/index.ts'
import { AEAD_TAG_BYTES, MAX_BLOCK_BYTES, MAX_CHUNK_PLAINTEXT } from './limits.ts'
import { checkKey, FORMAT_VERSION, NONCE_BYTES, OBJECT_ID_BYTES, SealErrorCode } from './sealed.ts'
import { videoStreams } from './video-streams.ts'
import { validateLiveArchive, type LiveArchive } from './live-archive.ts'
import { fieldChecks } from './fields.ts'

export const ManifestErrorCode = {
  MALFORMED: 'ERR_MANIFEST_MALFORMED',
  UNSUPPORTED: 'ERR_MANIFEST_UNSUPPORTED',
  TOO_LARGE: 'ERR_MANIFEST_TOO_LARGE'
} as const

export const MAX_NAME_LENGTH = 255
export const MAX_MIME_LENGTH = 127
const MANIFEST_BLOCK_FORMAT = 0x01
const enc = new TextEncoder()
const MANIFEST_AAD = enc.encode(`p2pdv/v${FORMAT_VERSION}\0manifest`)
const MANIFEST_KEY_INFO = enc.encode(`p2pdv/v${FORMAT_VERSION}/manifest-key`)

export interface ChunkRef {
  cid: CID
  /** Plaintext bytes in this chunk. */
  size: number
}

/**
 * Erasure coding of an object's blocks: its blocks in order (see `objectBlocks`) are cut into
 * stripes of k; stripe i's m parity blocks are listed here (the data blocks are the object's own).
 * Readers fetch data blocks directly and decode parity only when one is missing.
 */
export interface ErasureInfo {
  k: number
  m: number
  stripes: Array<{ parity: CID[] }>
}

export interface FileManifest {
  v: 1
  type: 'file'
  objectId: Uint8Array
  size: number
  chunkSize: number
  /** SHA-256 of the whole plaintext. */
  sha256: Uint8Array
  chunks: ChunkRef[]
  name?: string
  mime?: string
  erasure?: ErasureInfo
}

/** One sealed plaintext stream under the object's key: a segment, an init segment, a poster. */
export interface StreamRef {
  /** Stream number in the chunk nonces (unique per stream under one key). */
  n: number
  size: number
  chunks: ChunkRef[]
}

export interface VideoRendition {
  id: string
  kind: 'video' | 'audio'
  width?: number
  height?: number
  frameRate?: number
  bandwidth: number
  codecs: string
  init: StreamRef
  /** `epoch`: only in a live archive (live-archive.ts), the epoch whose key opens the segment. */
  segments: Array<{ duration: number, stream: StreamRef, epoch?: number }>
  /** Audio renditions: BCP-47 language, display name (≤ 64 characters), at most one default. */
  lang?: string
  name?: string
  default?: boolean
}

/** A subtitle track: one UTF-8 WebVTT file, carried as an HLS subtitle rendition. */
export interface SubtitleTrack {
  /** BCP-47 tag ("en", "pt-BR"); at most 35 characters; unique (ignoring case) within the video. */
  lang: string
  /** Display name shown by players; at most 64 characters, no control characters. */
  name: string
  /** At most one track of a video is the default. */
  default?: boolean
  /** The WebVTT file, sealed with context `"subtitles:<lang>"`. */
  stream: StreamRef
}

/**
 * Seek-preview thumbnails: one tile per `intervalSeconds` from t = 0, packed row-major into JPEG
 * sprite sheets of `columns` × `rows` tiles (the last sheet may be partly empty). Tile i is on
 * sheet ⌊i / (columns·rows)⌋. Players get them as a WebVTT thumbnails track rendered from this.
 */
export interface ThumbnailSprites {
  intervalSeconds: number
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  /** JPEG sprite sheets, sheet i sealed with context `"thumbnails:<i>"`. */
  sheets: StreamRef[]
}

/**
 * A video: every init segment, media segment, the poster, each subtitle file and each sprite
 * sheet is its own stream under the video's key, sealed with context `"<rendition>/<index>"`
 * (`"<rendition>/init"`, `"poster"`, `"subtitles:<lang>"`, `"thumbnails:<i>"`), so a stream
 * cannot be passed off as another one. ':' never appears in rendition ids, so these never collide.
 */
export interface VideoManifest {
  v: 1
  type: 'video'
  objectId: Uint8Array
  durationSeconds: number
  segmentSeconds: number
  /** SHA-256 of the source file, to recognise re-uploads. */
  sourceSha256: Uint8Array
  renditions: VideoRendition[]
  poster: StreamRef
  title?: string
  subtitles?: SubtitleTrack[]
  thumbnails?: ThumbnailSprites
  erasure?: ErasureInfo
  /** A live stream kept as a VOD: its renditions name the stream's own sealed segments. */
  live?: LiveArchive
}

export type Manifest = FileManifest | VideoManifest

export const MAX_RENDITIONS = 16
export const MAX_SEGMENTS_PER_RENDITION = 20_000
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/
/** Top-level path names of the video layout (see playlists/video-paths.ts): not rendition ids. */
export const RESERVED_RENDITION_IDS: readonly string[] = ['subtitles', 'thumbnails']

export const MAX_SUBTITLE_TRACKS = 32
export const MAX_SUBTITLE_LANG_LENGTH = 35
export const MAX_SUBTITLE_NAME_LENGTH = 64
/** A BCP-47 language tag in its common shape: a 2–8 letter language, then 1–8 character subtags. */
const LANG_PATTERN = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/
export const MAX_THUMBNAIL_SHEETS = 1024
export const MAX_THUMBNAIL_TILE = 1024
export const MAX_THUMBNAIL_GRID = 32
/** Largest sprite sheet side in pixels (columns × tileWidth, rows × tileHeight). */
export const MAX_THUMBNAIL_SHEET_SIDE = 8192
export const MIN_THUMBNAIL_INTERVAL = 0.5
export const MAX_THUMBNAIL_INTERVAL = 3600

/** True when `lang` is a language tag a subtitle track may carry (also safe in URL paths). */
export function isSubtitleLang (lang: string): boolean {
  return lang.length <= MAX_SUBTITLE_LANG_LENGTH && LANG_PATTERN.test(lang)
}

/** How many thumbnail tiles a video of `durationSeconds` has: one per started interval. */
export function thumbnailTileCount (durationSeconds: number, intervalSeconds: number): number {
  // The epsilon keeps 8 s / 2 s at 4 tiles despite floating point.
  return Math.max(1, Math.ceil(durationSeconds / intervalSeconds - 1e-9))
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(ManifestErrorCode.MALFORMED, `manifest is malformed: ${what}`, {
    hint: 'The object was written by an incompatible or faulty client; it cannot be read.'
  })
}

const field = fieldChecks(malformed)
const rec = field.map
export const uint = field.uint
export const bytes = field.bytes
export const text = field.text
export const cid = field.blockCid

/** The largest chunk list that still fits one manifest block (about 40 bytes per entry). */
export const MAX_CHUNKS_PER_MANIFEST = Math.floor((MAX_BLOCK_BYTES - 1024) / 48)

export function chunkRefs (v: unknown, what: string, maxChunkSize: number): ChunkRef[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CHUNKS_PER_MANIFEST) throw malformed(`${what} must be a list of 1 to ${MAX_CHUNKS_PER_MANIFEST} chunks`)
  return v.map((c, i) => {
    const r = rec(c, `${what}[${i}]`)
    return { cid: cid(r.cid, `${what}[${i}].cid`), size: uint(r.size, `${what}[${i}].size`, maxChunkSize) }
  })
}

export function validateFileManifest (value: unknown): FileManifest {
  const m = rec(value, 'manifest')
  const chunkSize = uint(m.chunkSize, 'chunkSize', MAX_CHUNK_PLAINTEXT)
  if (chunkSize === 0) throw malformed('chunkSize must be positive')
  const chunks = chunkRefs(m.chunks, 'chunks', chunkSize)
  const size = uint(m.size, 'size')
  const total = chunks.reduce((a, c) => a + c.size, 0)
  if (total !== size) throw malformed(`chunk sizes add up to ${total}, not ${size}`)
  chunks.forEach((c, i) => {
    if (i < chunks.length - 1 && c.size !== chunkSize) throw malformed(`chunk ${i} is not full`)
  })
  const out: FileManifest = {
    v: 1,
    type: 'file',
    objectId: bytes(m.objectId, 'objectId', OBJECT_ID_BYTES),
    size,
    chunkSize,
    sha256: bytes(m.sha256, 'sha256', 32),
    chunks
  }
  if (m.name !== undefined) out.name = text(m.name, 'name', MAX_NAME_LENGTH)
  if (m.mime !== undefined) out.mime = text(m.mime, 'mime', MAX_MIME_LENGTH)
  if (m.erasure !== undefined) out.erasure = erasureInfo(m.erasure, objectBlocks(out).length)
  return out
}

function streamRef (v: unknown, what: string): StreamRef {
  const r = rec(v, what)
  const chunks = chunkRefs(r.chunks, `${what}.chunks`, MAX_CHUNK_PLAINTEXT)
  const size = uint(r.size, `${what}.size`)
  if (chunks.reduce((a, c) => a + c.size, 0) !== size) throw malformed(`${what}: chunk sizes do not add up to size`)
  return { n: uint(r.n, `${what}.n`, 2 ** 48 - 1), size, chunks }
}

function positive (v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) throw malformed(`${what} must be a number in (0, ${max}]`)
  return v
}

export function validateVideoManifest (value: unknown): VideoManifest {
  const m = rec(value, 'manifest')
  if (!Array.isArray(m.renditions) || m.renditions.length === 0 || m.renditions.length > MAX_RENDITIONS) throw malformed(`renditions must list 1 to ${MAX_RENDITIONS}`)
  const streams = new Set<number>()
  const unique = (ref: StreamRef, what: string): StreamRef => {
    if (streams.has(ref.n)) throw malformed(`${what} reuses stream ${ref.n}`)
    streams.add(ref.n)
    return ref
  }
  const renditions = m.renditions.map((v, i): VideoRendition => {
    const r = rec(v, `renditions[${i}]`)
    const id = text(r.id, `renditions[${i}].id`, 32)
    if (!ID_PATTERN.test(id)) throw malformed(`renditions[${i}].id must be lowercase letters, digits, - or _`)
    if (RESERVED_RENDITION_IDS.includes(id)) throw malformed(`renditions[${i}].id "${id}" is reserved`)
    if (r.kind !== 'video' && r.kind !== 'audio') throw malformed(`renditions[${i}].kind must be video or audio`)
    if (!Array.isArray(r.segments) || r.segments.length === 0 || r.segments.length > MAX_SEGMENTS_PER_RENDITION) throw malformed(`renditions[${i}].segments must list 1 to ${MAX_SEGMENTS_PER_RENDITION}`)
    const out: VideoRendition = {
      id,
      kind: r.kind,
      bandwidth: uint(r.bandwidth, `renditions[${i}].bandwidth`, 1e9),
      codecs: text(r.codecs, `renditions[${i}].codecs`, 64),
      init: unique(streamRef(r.init, `renditions[${i}].init`), `renditions[${i}].init`),
      segments: r.segments.map((sv, j) => {
        const sg = rec(sv, `renditions[${i}].segments[${j}]`)
        const seg: VideoRendition['segments'][number] = { duration: positive(sg.duration, `renditions[${i}].segments[${j}].duration`, 60), stream: unique(streamRef(sg.stream, `renditions[${i}].segments[${j}].stream`), `segment ${j}`) }
        if (sg.epoch !== undefined) {
          if (m.live === undefined) throw malformed(`renditions[${i}].segments[${j}].epoch belongs to live archives only`)
          seg.epoch = uint(sg.epoch, `renditions[${i}].segments[${j}].epoch`, 2 ** 32 - 1)
        }
        return seg
      })
    }
    if (r.width !== undefined) out.width = uint(r.width, `renditions[${i}].width`, 16384)
    if (r.height !== undefined) out.height = uint(r.height, `renditions[${i}].height`, 16384)
    if (r.frameRate !== undefined) out.frameRate = positive(r.frameRate, `renditions[${i}].frameRate`, 1000)
    if (r.lang !== undefined) {
      out.lang = text(r.lang, `renditions[${i}].lang`, MAX_SUBTITLE_LANG_LENGTH)
      if (!isSubtitleLang(out.lang)) throw malformed(`renditions[${i}].lang must be a BCP-47 language tag`)
    }
    if (r.name !== undefined) {
      out.name = text(r.name, `renditions[${i}].name`, MAX_SUBTITLE_NAME_LENGTH)
      if (out.name.trim() === '') throw malformed(`renditions[${i}].name must not be empty`)
    }
    if (r.default !== undefined) {
      if (typeof r.default !== 'boolean') throw malformed(`renditions[${i}].default must be a boolean`)
      out.default = r.default
    }
    return out
  })
  if (new Set(renditions.map(r => r.id)).size !== renditions.length) throw malformed('rendition ids must be unique')
  if (renditions.filter(r => r.default === true).length > 1) throw malformed('at most one rendition may be the default')
  const out: VideoManifest = {
    v: 1,
    type: 'video',
    objectId: bytes(m.objectId, 'objectId', OBJECT_ID_BYTES),
    durationSeconds: positive(m.durationSeconds, 'durationSeconds', 86_400),
    segmentSeconds: positive(m.segmentSeconds, 'segmentSeconds', 60),
    sourceSha256: bytes(m.sourceSha256, 'sourceSha256', 32),
    renditions,
    poster: unique(streamRef(m.poster, 'poster'), 'poster')
  }
  if (m.title !== undefined) out.title = text(m.title, 'title', 200)
  if (m.subtitles !== undefined) out.subtitles = subtitleTracks(m.subtitles, unique)
  if (m.thumbnails !== undefined) out.thumbnails = thumbnailSprites(m.thumbnails, out.durationSeconds, unique)
  if (m.live !== undefined) out.live = validateLiveArchive(m.live, out.objectId, renditions)
  if (m.erasure !== undefined) out.erasure = erasureInfo(m.erasure, objectBlocks(out).length)
  return out
}

function subtitleTracks (v: unknown, unique: (ref: StreamRef, what: string) => StreamRef): SubtitleTrack[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_SUBTITLE_TRACKS) throw malformed(`subtitles must list 1 to ${MAX_SUBTITLE_TRACKS} tracks`)
  const langs = new Set<string>()
  const tracks = v.map((tv, i): SubtitleTrack => {
    const t = rec(tv, `subtitles[${i}]`)
    const lang = text(t.lang, `subtitles[${i}].lang`, MAX_SUBTITLE_LANG_LENGTH)
    if (!isSubtitleLang(lang)) throw malformed(`subtitles[${i}].lang must be a BCP-47 language tag`)
    if (langs.has(lang.toLowerCase())) throw malformed(`subtitles[${i}].lang repeats "${lang}"`)
    langs.add(lang.toLowerCase())
    const name = text(t.name, `subtitles[${i}].name`, MAX_SUBTITLE_NAME_LENGTH)
    if (name.trim() === '') throw malformed(`subtitles[${i}].name must not be empty`)
    const out: SubtitleTrack = { lang, name, stream: unique(streamRef(t.stream, `subtitles[${i}].stream`), `subtitles[${i}].stream`) }
    if (t.default !== undefined) {
      if (typeof t.default !== 'boolean') throw malformed(`subtitles[${i}].default must be a boolean`)
      out.default = t.default
    }
    return out
  })
  if (tracks.filter(t => t.default === true).length > 1) throw malformed('at most one subtitle track may be the default')
  return tracks
}

function thumbnailSprites (v: unknown, durationSeconds: number, unique: (ref: StreamRef, what: string) => StreamRef): ThumbnailSprites {
  const t = rec(v, 'thumbnails')
  const intervalSeconds = positive(t.intervalSeconds, 'thumbnails.intervalSeconds', MAX_THUMBNAIL_INTERVAL)
  if (intervalSeconds < MIN_THUMBNAIL_INTERVAL) throw malformed(`thumbnails.intervalSeconds must be at least ${MIN_THUMBNAIL_INTERVAL}`)
  const dim = (x: unknown, what: string, max: number): number => {
    const n = uint(x, `thumbnails.${what}`, max)
    if (n === 0) throw malformed(`thumbnails.${what} must be positive`)
    return n
  }
  const tileWidth = dim(t.tileWidth, 'tileWidth', MAX_THUMBNAIL_TILE)
  const tileHeight = dim(t.tileHeight, 'tileHeight', MAX_THUMBNAIL_TILE)
  const columns = dim(t.columns, 'columns', MAX_THUMBNAIL_GRID)
  const rows = dim(t.rows, 'rows', MAX_THUMBNAIL_GRID)
  if (columns * tileWidth > MAX_THUMBNAIL_SHEET_SIDE || rows * tileHeight > MAX_THUMBNAIL_SHEET_SIDE) throw malformed(`thumbnail sheets must be at most ${MAX_THUMBNAIL_SHEET_SIDE} pixels a side`)
  // No more sheets than the tiles of this video fill: the renderer never points past them.
  const needed = Math.ceil(thumbnailTileCount(durationSeconds, intervalSeconds) / (columns * rows))
  const max = Math.min(MAX_THUMBNAIL_SHEETS, needed)
  if (!Array.isArray(t.sheets) || t.sheets.length === 0 || t.sheets.length > max) throw malformed(`thumbnails.sheets must list 1 to ${max} sheets for this duration and interval`)
  return {
    intervalSeconds,
    tileWidth,
    tileHeight,
    columns,
    rows,
    sheets: t.sheets.map((sv, i) => unique(streamRef(sv, `thumbnails.sheets[${i}]`), `thumbnails.sheets[${i}]`))
  }
}


function erasureInfo (v: unknown, blocks: number): ErasureInfo {
  const e = rec(v, 'erasure')
  const k = uint(e.k, 'erasure.k', 256)
  const m = uint(e.m, 'erasure.m', 256)
  try { checkErasureParams(k, m) } catch { throw malformed('erasure k/m out of range') }
  const expected = Math.ceil(blocks / k)
  if (!Array.isArray(e.stripes) || e.stripes.length !== expected) throw malformed(`erasure.stripes must list ${expected} stripes of ${k} blocks`)
  return {
    k,
    m,
    stripes: e.stripes.map((sv, i) => {
      const st = rec(sv, `erasure.stripes[${i}]`)
      if (!Array.isArray(st.parity) || st.parity.length !== m) throw malformed(`erasure.stripes[${i}].parity must list ${m} CIDs`)
      return { parity: st.parity.map((c, j) => cid(c, `erasure.stripes[${i}].parity[${j}]`)) }
    })
  }
}

/**
 * Every block of an object in its canonical order — a file's chunks; a video's streams in
 * videoStreams order (video-streams.ts) — with its sealed size.
 * Erasure stripes run over this order.
 */
export function objectBlocks (m: Manifest): Array<{ cid: CID, size: number }> {
  const refs = m.type === 'file'
    ? m.chunks
    : videoStreams(m).flatMap(s => s.stream.chunks)
  return refs.map(c => ({ cid: c.cid, size: c.size + AEAD_TAG_BYTES }))
}

export function validateManifest (value: unknown): Manifest {
  const m = rec(value, 'manifest')
  if (m.v !== 1) {
    throw new P2pdvError(ManifestErrorCode.UNSUPPORTED, `manifest version ${String(m.v)} is not supported`, { hint: 'Upgrade p2pdv.' })
  }
  switch (m.type) {
    case 'file': return validateFileManifest(m)
    case 'video': return validateVideoManifest(m)
    default:
      throw new P2pdvError(ManifestErrorCode.UNSUPPORTED, `manifest type "${String(m.type).slice(0, 32)}" is not supported`, { hint: 'Upgrade p2pdv.' })
  }
}

export function encodeManifest (manifest: Manifest): Uint8Array {
  return dagCbor.encode(validateManifest(manifest))
}

export function decodeManifest (data: Uint8Array): Manifest {
  if (data.byteLength > MAX_BLOCK_BYTES) throw new P2pdvError(ManifestErrorCode.TOO_LARGE, 'manifest larger than one block')
  let value: unknown
  try {
    value = dagCbor.decode(data)
  } catch (cause) {
    throw Object.assign(malformed('not DAG-CBOR'), { cause })
  }
  return validateManifest(value)
}

export function manifestKey (key: Uint8Array): Uint8Array {
  checkKey(key)
  return hkdf(sha256, key, undefined, MANIFEST_KEY_INFO, 32)
}

export async function sealManifest (key: Uint8Array, manifest: Manifest): Promise<{ cid: CID, block: Uint8Array }> {
  const body = encodeManifest(manifest)
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const km = manifestKey(key)
  const sealed = await aead.seal(km, nonce, MANIFEST_AAD, body)
  km.fill(0)
  const block = new Uint8Array(1 + NONCE_BYTES + sealed.byteLength)
  block[0] = MANIFEST_BLOCK_FORMAT
  block.set(nonce, 1)
  block.set(sealed, 1 + NONCE_BYTES)
  if (block.byteLength > MAX_BLOCK_BYTES) {
    throw new P2pdvError(ManifestErrorCode.TOO_LARGE, `the manifest needs ${block.byteLength} bytes, more than one ${MAX_BLOCK_BYTES}-byte block`, {
      hint: `Objects are limited to ${MAX_CHUNKS_PER_MANIFEST} chunks (about ${Math.floor(MAX_CHUNKS_PER_MANIFEST * MAX_CHUNK_PLAINTEXT / 2 ** 30)} GiB); split the file.`
    })
  }
  return { cid: await blockCid(block), block }
}

export async function openManifest (key: Uint8Array, manifestCid: CID, block: Uint8Array): Promise<Manifest> {
  await verifyBlock(manifestCid, block)
  if (block.byteLength < 1 + NONCE_BYTES || block[0] !== MANIFEST_BLOCK_FORMAT) throw malformed('unknown manifest block format')
  const km = manifestKey(key)
  let body: Uint8Array
  try {
    body = await aead.open(km, block.subarray(1, 1 + NONCE_BYTES), MANIFEST_AAD, block.subarray(1 + NONCE_BYTES))
  } catch (err) {
    if (err instanceof AeadAuthError) {
      throw new P2pdvError(SealErrorCode.CHUNK_AUTH, 'the manifest does not open with this key', {
        hint: 'The capability is wrong or incomplete: check that the part after # was copied completely.'
      })
    }
    throw err
  } finally {
    km.fill(0)
  }
  return decodeManifest(body)
}
