/**
 * NodeClient: everything one asks of one storage node over HTTP, in one place. One client per
 * node (base URL and, when known, peer id): a node is an identity, and binding it at construction
 * means receipts and status are always checked against the node asked, never another; a client
 * costs nothing to make (connections are pooled per process by the transport).
 *
 * Every call has a deadline (its `timeoutMs`, the client's default otherwise, and the caller's
 * `signal`), and every body read is bounded by a limit per call. Failures are P2pdvErrors with
 * NodeClientErrorCode codes; an abort of the caller's own signal rethrows its reason.
 */
import type { CID } from 'multiformats/cid'
import { verifyBlock, parseCid } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { MAX_BLOCK_BYTES } from '@p2pdv/core/limits'
import { MAX_AUDIT_MESSAGE_BYTES } from '@p2pdv/core/wire'
import { request } from '#transport'
import { NodeClientErrorCode } from './errors.ts'
import {
  base64Bytes, MAX_ADDR_CHARS, MAX_ADDRS, MAX_ID_CHARS, MAX_LISTED_PEERS, parseLatencyWindow, parsePeerList, parsePlacementListing, parseRepairCounters, parseReputation,
  type LatencyWindow, type ListedPeer, type ListedPlacement, type NodeIdentity, type NodeStatus
} from './node-info.ts'
import { ReceiptVerifier, type StoreReceipt } from './receipt-verifier.ts'
import { auditResultsSearch, MAX_AUDIT_RESULTS_BYTES, parseAuditResults, type AuditResult, type AuditResultsQuery } from './audit-results.ts'
import { MAX_REWARD_INPUTS_BYTES, MAX_REWARD_PROOF_BYTES, parseRewardEpochInputs, parseRewardProof, RewardShapeError, type RewardEpochInputs, type RewardProof } from './rewards.ts'
import { MAX_RECEIPT_PAGE_BYTES, parseReceiptPage, parseReceiptTerms, type ReceiptPage, type ReceiptTerms } from './serving-receipts.ts'
import { MAX_VIDEO_PAGE_BYTES, parseChannelPage, parseChannelProfile, parseListedVideo, parseVideoPage, videoSearchParams, type ChannelPage, type ChannelProfile, type ListedVideo, type VideoPage, type VideoSearch } from './videos.ts'
import { MAX_PUT_RESPONSE_BYTES, type BodyBuffers, type HttpRequest, type HttpResponse } from './transport/types.ts'

export const DEFAULT_NODE_TIMEOUT_MS = 30_000
/** A status, identity or reputation answer longer than this is refused (a node gone wrong). */
export const MAX_STATUS_BYTES = 4 * 1024 * 1024
/** A node's metrics page longer than this is refused (its labels are bounded; a few hundred KiB is normal). */
export const MAX_METRICS_BYTES = 8 * 1024 * 1024
/** A peer list longer than this is refused before it is all read. */
export const MAX_PEER_LIST_BYTES = 64 * 1024
/** A placement listing longer than this is refused. */
export const MAX_PLACEMENT_LISTING_BYTES = 16 * 1024 * 1024
/** Placement records are at most a block. */
export const MAX_PLACEMENT_RECORD_BYTES = MAX_BLOCK_BYTES
/** Hot-copy records listed per object, and their size (core MAX_HOT_COPY_BYTES, base64). */
const MAX_HOT_RECORDS = 16
const MAX_HOT_RECORD_CHARS = Math.ceil(256 * 1024 / 3) * 4
const MAX_HOT_LISTING_BYTES = MAX_HOT_RECORDS * (MAX_HOT_RECORD_CHARS + 8) + 64
/** A live announcement's answer is a small JSON object. */
const MAX_LIVE_ANSWER_BYTES = 4096
/** A window: 120 announcements per rendition, 16 renditions, ~700 bytes each. */
export const MAX_LIVE_WINDOW_BYTES = 2 * 1024 * 1024
/** A routing answer: at most MAX_PROVIDERS providers with their addresses. */
export const MAX_PROVIDERS = 64
const MAX_PROVIDERS_BYTES = MAX_PROVIDERS * (MAX_ID_CHARS + MAX_ADDRS * (MAX_ADDR_CHARS + 4) + 256)
/** The chain description, the sign-in nonce and session are small JSON objects. */
const MAX_SMALL_JSON_BYTES = 64 * 1024
/** A chat history: 200 messages of at most ~3 KiB as JSON, and a moderation list of ≤ 64 KiB. */
export const MAX_LIVE_CHAT_BYTES = 1024 * 1024
/** A receipt's signature is 64 bytes for Ed25519; far longer ones are junk. */
const MAX_SIG_CHARS = 512

export interface NodeClientOptions {
  /** The node's peer id: store receipts must be signed by it (required for putBlock). */
  peerId?: string
  /** Shared between clients so each node's key is imported once (see ReceiptVerifier). */
  receipts?: ReceiptVerifier
  /** Deadline of a call that sets none (DEFAULT_NODE_TIMEOUT_MS). */
  timeoutMs?: number
}

export interface CallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface GetBlockOptions extends CallOptions {
  /** Longest block accepted (MAX_BLOCK_BYTES). */
  maxSize?: number
  /** Buffers to read the block into (ciphertext only; see the sdk's BufferRecycler). */
  buffers?: BodyBuffers
}

export interface PutBlockOptions extends CallOptions {
  /** An upload grant (`P2PDV-Grant …`). */
  authorization?: string
}

export class NodeClient {
  /** The node's base URL, without a trailing slash. */
  readonly base: string
  readonly peerId: string | undefined
  private readonly receipts: ReceiptVerifier
  private readonly timeoutMs: number

  constructor (base: string, options: NodeClientOptions = {}) {
    this.base = base.replace(/\/+$/, '')
    this.peerId = options.peerId
    this.receipts = options.receipts ?? new ReceiptVerifier()
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS
  }

  /** The block, its bytes checked against the CID. */
  async getBlock (cid: CID, options: GetBlockOptions = {}): Promise<Uint8Array> {
    const res = await this.blockRequest(cid, options)
    this.expectOk(res, `block ${cid.toString()}`)
    try {
      await verifyBlock(cid, res.body)
    } catch (cause) {
      throw new P2pdvError(NodeClientErrorCode.HASH_MISMATCH, `node ${this.name()} served bytes that do not hash to ${cid.toString()}`, { hint: 'The node served damaged or forged data; it is skipped. Try another node.', cause, details: { cid: cid.toString() } })
    }
    return res.body
  }

  /**
   * The node's answer to a block GET, its bytes NOT checked: for auditors, who judge (and record
   * the digest of) what a node serves. Bounded like getBlock; `bytes` only with status 200.
   */
  async readBlock (cid: CID, options: GetBlockOptions = {}): Promise<{ status: number, bytes?: Uint8Array }> {
    const res = await this.blockRequest(cid, options)
    return res.status === 200 ? { status: 200, bytes: res.body } : { status: res.status }
  }

  private async blockRequest (cid: CID, options: GetBlockOptions): Promise<HttpResponse> {
    return await this.call({ method: 'GET', path: `/ipfs/${cid.toString()}`, limit: options.maxSize ?? MAX_BLOCK_BYTES, headers: { accept: 'application/vnd.ipld.raw' }, ...(options.buffers === undefined ? {} : { buffers: options.buffers }) }, options)
  }

  /** The block's size if the node has it (HEAD), undefined if it answers 404. */
  async hasBlock (cid: CID, options: CallOptions = {}): Promise<number | undefined> {
    const res = await this.call({ method: 'HEAD', path: `/ipfs/${cid.toString()}`, limit: 0, headers: { accept: 'application/vnd.ipld.raw' } }, options)
    if (res.status === 404) return undefined
    this.expectOk(res, `block ${cid.toString()}`)
    if (res.contentLength === undefined) throw this.badResponse('answered HEAD without a Content-Length')
    return res.contentLength
  }

  /** Stores a block; resolves with the node's receipt, checked (peer, CID, size, signature). */
  async putBlock (cid: CID, bytes: Uint8Array, options: PutBlockOptions = {}): Promise<StoreReceipt> {
    const peerId = this.peerId
    if (peerId === undefined) throw new P2pdvError('ERR_INVALID_ARGUMENT', 'putBlock needs the node\'s peer id to check its receipt', { hint: 'Create the NodeClient with { peerId }.' })
    const res = await this.call({
      method: 'PUT', path: `/ipfs/${cid.toString()}`, body: bytes, limit: MAX_PUT_RESPONSE_BYTES,
      headers: { 'content-type': 'application/vnd.ipld.raw', ...(options.authorization === undefined ? {} : { authorization: options.authorization }) }
    }, options)
    const body = jsonObject(res.body) as { receipt?: { peer?: unknown, cid?: unknown, size?: unknown, time?: unknown, sig?: unknown }, code?: unknown, message?: unknown }
    if (res.status !== 201 || body.receipt === undefined) {
      const code = typeof body.code === 'string' && body.code.length <= 64 ? body.code : `ERR_HTTP_${res.status}`
      throw new P2pdvError(NodeClientErrorCode.REFUSED, `node ${peerId} refused block ${cid.toString()}: ${String(body.message ?? `HTTP ${res.status}`).slice(0, 200)} [${code}]`, { details: { code, status: res.status } })
    }
    const r = body.receipt
    if (typeof r.peer !== 'string' || typeof r.cid !== 'string' || typeof r.size !== 'number' || typeof r.time !== 'number' || typeof r.sig !== 'string' || r.sig.length > MAX_SIG_CHARS) {
      throw new P2pdvError(NodeClientErrorCode.BAD_RECEIPT, `node ${peerId} returned a malformed receipt`)
    }
    let receiptCid: CID
    try { receiptCid = parseCid(r.cid) } catch { throw new P2pdvError(NodeClientErrorCode.BAD_RECEIPT, `node ${peerId} returned a receipt for a malformed CID`) }
    return await this.receipts.check(peerId, { peer: r.peer, cid: receiptCid, size: r.size, time: r.time, sig: base64Bytes(r.sig) }, cid, bytes.byteLength)
  }

  /** `GET /api/v1/status`: the node's peer id, free capacity, failure domain and repair counters. */
  async status (options: CallOptions = {}): Promise<NodeStatus> {
    const s = await this.getJson('/api/v1/status', MAX_STATUS_BYTES, options) as { peerId?: unknown, freeBytes?: unknown, zone?: unknown, repair?: unknown } | null
    if (typeof s?.peerId !== 'string' || s.peerId.length === 0 || s.peerId.length > MAX_ID_CHARS) throw this.badResponse('answered its status without a valid peer id')
    const repair = parseRepairCounters(s.repair)
    return {
      peerId: s.peerId,
      ...(typeof s.freeBytes === 'number' ? { freeBytes: s.freeBytes } : {}),
      ...(typeof s.zone === 'string' && s.zone.length <= MAX_ID_CHARS ? { zone: s.zone } : {}),
      ...(repair === undefined ? {} : { repair })
    }
  }

  /** `GET /api/v1/node`: who the node says it is (ERR_BAD_NODE_INFO for anything but a peer id and a short list of addresses). */
  async info (options: CallOptions = {}): Promise<NodeIdentity> {
    const bad = (what: string, cause?: unknown): P2pdvError => new P2pdvError('ERR_BAD_NODE_INFO', `${this.base}/api/v1/node answered without ${what}`, { hint: 'Is this URL a p2pdv node? Check it, or the node\'s version.', cause })
    let body: { peerId?: unknown, multiaddrs?: unknown } | null
    try {
      body = await this.getJson('/api/v1/node', MAX_STATUS_BYTES, options) as typeof body
    } catch (cause) {
      if (cause instanceof P2pdvError && cause.code === NodeClientErrorCode.BAD_RESPONSE && cause.details?.json === false) throw bad('JSON', cause)
      throw cause
    }
    const { peerId, multiaddrs } = body ?? {}
    if (typeof peerId !== 'string' || peerId.length === 0 || peerId.length > MAX_ID_CHARS) throw bad('a valid peer id')
    if (!Array.isArray(multiaddrs) || multiaddrs.length > MAX_ADDRS || !multiaddrs.every(a => typeof a === 'string' && a.length <= MAX_ADDR_CHARS)) throw bad(`a list of at most ${MAX_ADDRS} multiaddrs`)
    return { peerId, multiaddrs: multiaddrs as string[], http: this.base }
  }

  /**
   * `GET /api/v1/peers`: the data planes the node vouches for, checked (a peer id, a bare http(s)
   * origin, deduplicated). ERR_BAD_PEER_LIST for an answer over MAX_PEER_LIST_BYTES, not JSON, or
   * not a list of at most MAX_LISTED_PEERS. Entries are claims, not facts.
   */
  async peers (options: CallOptions = {}): Promise<ListedPeer[]> {
    const bad = (why: string, cause?: unknown): P2pdvError => new P2pdvError('ERR_BAD_PEER_LIST', `${this.base}/api/v1/peers ${why}`, { hint: 'Is this URL a p2pdv node? Check it, or the node\'s version.', cause })
    let body: unknown
    try {
      body = await this.getJson('/api/v1/peers', MAX_PEER_LIST_BYTES, options)
    } catch (cause) {
      if (!(cause instanceof P2pdvError)) throw cause
      if (cause.code === NodeClientErrorCode.TOO_LARGE) throw bad(`answered with more than ${MAX_PEER_LIST_BYTES} bytes`, cause)
      if (cause.code === NodeClientErrorCode.BAD_RESPONSE) throw bad(cause.details?.json === false ? 'did not answer with JSON' : `answered HTTP ${String(cause.details?.status)}`, cause)
      throw cause
    }
    const peers = (body as { peers?: unknown } | null)?.peers
    if (!Array.isArray(peers) || peers.length > MAX_LISTED_PEERS) throw bad(`did not answer with a list of at most ${MAX_LISTED_PEERS} peers`)
    return parsePeerList(body)
  }

  /**
   * One page of an auditor's results, newest first, with ids after `after` and before `before`
   * (NOT_FOUND when the node runs no auditor). A malformed page is refused whole.
   */
  async auditResults (q: AuditResultsQuery = {}, options: CallOptions = {}): Promise<AuditResult[]> {
    const path = `/api/v1/audit/results?${auditResultsSearch(q)}`
    const res = await this.call({ method: 'GET', path, limit: MAX_AUDIT_RESULTS_BYTES, headers: { accept: 'application/json' } }, options)
    this.expectOk(res, 'an auditor')
    const rows = parseAuditResults(this.json(res, path))
    if (rows === undefined) throw this.badResponse('answered a malformed page of audit results')
    return rows
  }

  /**
   * `GET /api/v1/metrics/latency?since=MS`: the node's block-GET latency histogram over [since,
   * now] (checked). NOT_FOUND from a node too old to keep a latency history.
   */
  async latencyWindow (since: number, options: CallOptions = {}): Promise<LatencyWindow> {
    const path = `/api/v1/metrics/latency?since=${Math.max(0, Math.floor(since))}`
    const res = await this.call({ method: 'GET', path, limit: MAX_STATUS_BYTES, headers: { accept: 'application/json' } }, options)
    this.expectOk(res, 'a latency history')
    const w = parseLatencyWindow(this.json(res, path))
    if (w === undefined) throw this.badResponse('answered a malformed latency histogram')
    return w
  }

  /** The node's Prometheus exposition (`GET /metrics`), as text, bounded. */
  async metricsText (options: CallOptions = {}): Promise<string> {
    const res = await this.call({ method: 'GET', path: '/metrics', limit: MAX_METRICS_BYTES, headers: { accept: 'text/plain' } }, options)
    this.expectOk(res, 'metrics')
    return new TextDecoder().decode(res.body)
  }

  /** `GET /api/v1/reputation` of an auditor node: peer id → score in 0 … 1. */
  async reputation (options: CallOptions = {}): Promise<Map<string, number>> {
    return parseReputation(await this.getJson('/api/v1/reputation', MAX_STATUS_BYTES, options))
  }

  /** The encoded placement record the node keeps for `object` (NOT_FOUND if none); not decoded here. */
  async placement (object: CID | string, options: CallOptions = {}): Promise<Uint8Array> {
    const res = await this.call({ method: 'GET', path: `/api/v1/objects/${encodeURIComponent(object.toString())}/placement`, limit: MAX_PLACEMENT_RECORD_BYTES }, options)
    this.expectOk(res, `the placement record of ${object.toString()}`)
    return res.body
  }

  /** Sends an encoded placement record; REFUSED (with the node's code) unless it keeps it. */
  async putPlacement (object: CID | string, bytes: Uint8Array, options: CallOptions = {}): Promise<void> {
    const res = await this.call({ method: 'PUT', path: `/api/v1/objects/${encodeURIComponent(object.toString())}/placement`, body: bytes, limit: MAX_PUT_RESPONSE_BYTES, headers: { 'content-type': 'application/vnd.ipld.dag-cbor' } }, options)
    if (res.status >= 200 && res.status < 300) return
    const body = jsonObject(res.body) as { code?: unknown }
    const code = typeof body.code === 'string' && body.code.length <= 64 ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(NodeClientErrorCode.REFUSED, `node ${this.name()} refused the placement record of ${object.toString()} [${code}]`, { details: { code, status: res.status } })
  }

  /**
   * `GET /api/v1/objects/<cid>/hot`: the hot-copy records the node knows for `object` (encoded,
   * not decoded or verified here; empty when none). Readers treat them as hints.
   */
  async hotCopies (object: CID | string, options: CallOptions = {}): Promise<Uint8Array[]> {
    const body = await this.getJson(`/api/v1/objects/${encodeURIComponent(object.toString())}/hot`, MAX_HOT_LISTING_BYTES, options) as { records?: unknown }
    if (!Array.isArray(body.records) || body.records.length > MAX_HOT_RECORDS) throw this.badResponse('answered a malformed hot-copy listing')
    return body.records.map(r => {
      if (typeof r !== 'string' || r.length > MAX_HOT_RECORD_CHARS) throw this.badResponse('answered a malformed hot-copy listing')
      return base64Bytes(r)
    })
  }

  /** Sends a hot-copy record this node signed; REFUSED (with the node's code, e.g. ERR_HOT_SHARE_FULL) unless kept. */
  async putHotCopy (object: CID | string, bytes: Uint8Array, options: CallOptions = {}): Promise<void> {
    const res = await this.call({ method: 'PUT', path: `/api/v1/objects/${encodeURIComponent(object.toString())}/hot`, body: bytes, limit: MAX_PUT_RESPONSE_BYTES, headers: { 'content-type': 'application/vnd.ipld.dag-cbor' } }, options)
    if (res.status >= 200 && res.status < 300) return
    const body = jsonObject(res.body) as { code?: unknown }
    const code = typeof body.code === 'string' && body.code.length <= 64 ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(NodeClientErrorCode.REFUSED, `node ${this.name()} refused the hot-copy record of ${object.toString()} [${code}]`, { details: { code, status: res.status } })
  }

  /** `GET /api/v1/placements`: the records the node keeps (object, version, signature). */
  async placements (options: CallOptions = {}): Promise<ListedPlacement[]> {
    return parsePlacementListing(await this.getJson('/api/v1/placements', MAX_PLACEMENT_LISTING_BYTES, options))
  }

  /** Sends an encoded audit challenge (`POST /api/v1/audit`); the node's encoded, signed response. */
  async audit (challenge: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const res = await this.call({ method: 'POST', path: '/api/v1/audit', body: challenge, limit: MAX_AUDIT_MESSAGE_BYTES, headers: { 'content-type': 'application/cbor' } }, options)
    if (!(res.contentType ?? '').startsWith('application/cbor')) throw this.badResponse(`answered the audit with HTTP ${res.status} and no audit response`, { status: res.status })
    return res.body
  }

  /**
   * `POST /api/v1/live/{stream}/announcements`: a signed live announcement (as JSON, from
   * announcementToJson). A refusal throws a P2pdvError with the node's own code (ERR_LIVE_…).
   */
  async announceLive (stream: string, announcement: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    const res = await this.call({
      method: 'POST', path: `/api/v1/live/${encodeURIComponent(stream)}/announcements`, limit: MAX_LIVE_ANSWER_BYTES,
      body: new TextEncoder().encode(JSON.stringify(announcement)), headers: { 'content-type': 'application/json', accept: 'application/json' }
    }, options)
    if (res.status === 201) return
    const body = jsonObject(res.body)
    const code = typeof body.code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(body.code) ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(code, `node ${this.name()} refused the live announcement: ${String(body.message ?? `HTTP ${res.status}`).slice(0, 200)}`, { details: { status: res.status } })
  }

  /** `GET /api/v1/live/{stream}`: the node's window of announcements (JSON, unchecked: verify each). */
  async liveWindow (stream: string, options: CallOptions = {}): Promise<unknown[]> {
    const w = await this.getJson(`/api/v1/live/${encodeURIComponent(stream)}`, MAX_LIVE_WINDOW_BYTES, options) as { segments?: unknown } | null
    if (!Array.isArray(w?.segments)) throw this.badResponse('answered a live window without segments')
    return w.segments
  }

  /**
   * `POST /api/v1/live/{stream}/chat`: a signed, encrypted chat message (chatMessageToJson); the
   * node's id for it. A refusal throws the node's own code (ERR_LIVE_CHAT_…).
   */
  async postLiveChat (stream: string, message: Record<string, unknown>, options: CallOptions = {}): Promise<string> {
    const body = await this.liveJson('POST', `/api/v1/live/${encodeURIComponent(stream)}/chat`, 201, message, 'the chat message', options)
    if (typeof body.id !== 'string' || !/^[0-9a-f]{32}$/.test(body.id)) throw this.badResponse('accepted a chat message without its id')
    return body.id
  }

  /** `PUT /api/v1/live/{stream}/chat/moderation`: the creator's signed moderation list (moderationToJson). */
  async putLiveModeration (stream: string, list: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    await this.liveJson('PUT', `/api/v1/live/${encodeURIComponent(stream)}/chat/moderation`, 200, list, 'the moderation list', options)
  }

  /** `GET /api/v1/live/{stream}/chat`: the history and moderation list (JSON, unchecked: verify each). */
  async liveChat (stream: string, options: CallOptions = {}): Promise<{ messages: unknown[], moderation: unknown }> {
    const c = await this.getJson(`/api/v1/live/${encodeURIComponent(stream)}/chat`, MAX_LIVE_CHAT_BYTES, options) as { messages?: unknown, moderation?: unknown } | null
    if (!Array.isArray(c?.messages)) throw this.badResponse('answered a live chat without messages')
    return { messages: c.messages, moderation: c.moderation ?? null }
  }

  private async liveJson (method: 'POST' | 'PUT', path: string, ok: number, json: Record<string, unknown>, what: string, options: CallOptions): Promise<Record<string, unknown>> {
    const res = await this.call({
      method, path, limit: MAX_LIVE_ANSWER_BYTES,
      body: new TextEncoder().encode(JSON.stringify(json)), headers: { 'content-type': 'application/json', accept: 'application/json' }
    }, options)
    const body = jsonObject(res.body)
    if (res.status === ok) return body
    const code = typeof body.code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(body.code) ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(code, `node ${this.name()} refused ${what}: ${String(body.message ?? `HTTP ${res.status}`).slice(0, 200)}`, { details: { status: res.status } })
  }

  /**
   * `GET /api/v1/videos`: a page of the node's discovery index. A refusal (a bad query, a node
   * without an index) throws the node's own code (ERR_VIDEO_QUERY, ERR_NOT_ENABLED).
   */
  async videos (search: VideoSearch = {}, options: CallOptions = {}): Promise<VideoPage> {
    const page = parseVideoPage(await this.discoveryJson(`/api/v1/videos${videoSearchParams(search)}`, options))
    if (page === undefined) throw this.badResponse('answered /api/v1/videos with something that is not a page of listings')
    return page
  }

  /** `GET /api/v1/videos/{id}`: one listed video (ERR_VIDEO_NOT_LISTED when the node does not list it). */
  async video (id: string, options: CallOptions = {}): Promise<ListedVideo> {
    const video = parseListedVideo(await this.discoveryJson(`/api/v1/videos/${encodeURIComponent(id)}`, options))
    if (video === undefined) throw this.badResponse(`answered /api/v1/videos/${id.slice(0, 66)} with something that is not a listing`)
    return video
  }

  /**
   * `GET /api/v1/channels/{address}`: a creator's verified profile (when the node has one) and a
   * page of their listed videos (ERR_CHANNEL_NOT_FOUND when the node knows neither).
   */
  async channel (address: string, search: Pick<VideoSearch, 'rating' | 'sort' | 'cursor' | 'limit'> = {}, options: CallOptions = {}): Promise<ChannelPage> {
    const page = parseChannelPage(await this.discoveryJson(`/api/v1/channels/${encodeURIComponent(address)}${videoSearchParams(search)}`, options))
    if (page === undefined) throw this.badResponse(`answered /api/v1/channels/${address.slice(0, 42)} with something that is not a channel`)
    return page
  }

  /** `GET /api/v1/channels?name=`: channels whose name starts with `name`, exact matches first. */
  async channels (name: string, options: CallOptions = {}): Promise<ChannelProfile[]> {
    const body = await this.discoveryJson(`/api/v1/channels?${new URLSearchParams({ name }).toString()}`, options) as { channels?: unknown } | null
    const list = body?.channels
    const out = Array.isArray(list) && list.length <= 50 ? list.map(parseChannelProfile) : undefined
    if (out === undefined || out.some(p => p === undefined)) throw this.badResponse('answered /api/v1/channels with something that is not a list of channels')
    return out as ChannelProfile[]
  }

  /**
   * `GET /routing/v1/providers/{cid}` (IPFS delegated routing): who the node says provides the
   * CID. Entries without a peer id, and addresses that are not strings, are dropped; more than
   * MAX_PROVIDERS or an oversized answer is refused. Claims, not facts: blocks are checked by CID.
   */
  async providers (cid: CID | string, options: CallOptions = {}): Promise<Array<{ peerId: string, addrs: string[] }>> {
    const body = await this.getJson(`/routing/v1/providers/${encodeURIComponent(cid.toString())}`, MAX_PROVIDERS_BYTES, options) as { Providers?: unknown } | null
    const listed = body?.Providers
    if (!Array.isArray(listed) || listed.length > MAX_PROVIDERS) throw this.badResponse(`answered a routing query without a list of at most ${MAX_PROVIDERS} providers`)
    const out: Array<{ peerId: string, addrs: string[] }> = []
    for (const p of listed as Array<{ ID?: unknown, Addrs?: unknown } | null>) {
      if (typeof p?.ID !== 'string' || p.ID.length === 0 || p.ID.length > MAX_ID_CHARS) continue
      const addrs = Array.isArray(p.Addrs) ? p.Addrs.filter((a): a is string => typeof a === 'string' && a.length <= MAX_ADDR_CHARS).slice(0, MAX_ADDRS) : []
      out.push({ peerId: p.ID, addrs })
    }
    return out
  }

  /** `GET /api/v1/chain`: the chain the node shares (unchecked JSON: parse it as a chain config); NOT_FOUND when it shares none. */
  async chain (options: CallOptions = {}): Promise<unknown> {
    const res = await this.call({ method: 'GET', path: '/api/v1/chain', limit: MAX_SMALL_JSON_BYTES, headers: { accept: 'application/json' } }, options)
    this.expectOk(res, 'a chain to share')
    return this.json(res, '/api/v1/chain')
  }

  /** `GET /api/v1/auth/nonce`: a fresh sign-in nonce (NOT_FOUND when the node offers no sign-in). */
  async signInNonce (options: CallOptions = {}): Promise<string> {
    const res = await this.call({ method: 'GET', path: '/api/v1/auth/nonce', limit: MAX_SMALL_JSON_BYTES, headers: { accept: 'application/json' } }, options)
    this.expectOk(res, 'sign-in')
    const nonce = (this.json(res, '/api/v1/auth/nonce') as { nonce?: unknown } | null)?.nonce
    if (typeof nonce !== 'string' || !/^[A-Za-z0-9]{8,96}$/.test(nonce)) throw this.badResponse('answered /api/v1/auth/nonce without a nonce')
    return nonce
  }

  /**
   * `POST /api/v1/auth/siwe`: trades a signed EIP-4361 message for a session token. A refusal
   * throws the node's own code (ERR_SIWE_REJECTED, …).
   */
  async signIn (message: string, signature: string, options: CallOptions = {}): Promise<{ token: string, address: string, expiresAt: number, roles: string[] }> {
    const res = await this.call({ method: 'POST', path: '/api/v1/auth/siwe', limit: MAX_SMALL_JSON_BYTES, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(JSON.stringify({ message, signature })) }, options)
    const body = jsonObject(res.body)
    if (res.status !== 200) {
      const code = typeof body.code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(body.code) ? body.code : 'ERR_SIWE_REJECTED'
      throw new P2pdvError(code, `sign-in to ${this.base} refused: ${typeof body.message === 'string' ? body.message.slice(0, 300) : `HTTP ${res.status}`}`, { details: { status: res.status } })
    }
    const { token, address, expiresAt, roles } = body
    if (typeof token !== 'string' || token.length > 4096 || typeof address !== 'string' || address.length > 64 || typeof expiresAt !== 'number') throw this.badResponse('answered a sign-in without a session')
    return { token, address, expiresAt, roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string').slice(0, 16) : [] }
  }

  /**
   * `GET /api/v1/rewards/{epoch}/{node}` of a settler: the node's share of a posted epoch and its
   * proof, checked for shape only (the settler's refusal throws its code, e.g. ERR_REWARDS_NO_SHARE).
   */
  async rewardProof (epoch: bigint, node: string, options: CallOptions = {}): Promise<RewardProof> {
    const body = await this.discoveryJson(`/api/v1/rewards/${epoch}/${encodeURIComponent(node)}`, options, MAX_REWARD_PROOF_BYTES)
    return this.rewardShape(() => parseRewardProof(body, epoch, node), 'a reward proof')
  }

  /** `GET /api/v1/rewards/{epoch}` of a settler: the epoch's published inputs, checked for shape only. */
  async rewardEpochInputs (epoch: bigint, options: CallOptions = {}): Promise<RewardEpochInputs> {
    const body = await this.discoveryJson(`/api/v1/rewards/${epoch}`, options, MAX_REWARD_INPUTS_BYTES)
    return this.rewardShape(() => parseRewardEpochInputs(body, epoch), 'an epoch\'s inputs')
  }

  /** `GET /api/v1/receipts`: the node's peer id and the reward epoch a serving receipt must name. */
  async receiptTerms (options: CallOptions = {}): Promise<ReceiptTerms> {
    const body = await this.discoveryJson('/api/v1/receipts', options, MAX_SMALL_JSON_BYTES)
    const terms = this.rewardShape(() => parseReceiptTerms(body), 'receipt terms')
    if (this.peerId !== undefined && terms.node !== this.peerId) throw this.badResponse(`names itself ${terms.node.slice(0, 60)} in its receipt terms`)
    return terms
  }

  /**
   * `POST /api/v1/receipts`: hands the node one encoded serving receipt. A refusal throws the
   * node's code (ERR_RECEIPT_WRONG_EPOCH, ERR_RECEIPT_DUPLICATE, …).
   */
  async submitReceipt (bytes: Uint8Array, options: CallOptions = {}): Promise<void> {
    const res = await this.call({ method: 'POST', path: '/api/v1/receipts', body: bytes, limit: MAX_SMALL_JSON_BYTES, headers: { 'content-type': 'application/vnd.ipld.dag-cbor' } }, options)
    if (res.status === 201) return
    const body = jsonObject(res.body) as { code?: unknown, message?: unknown }
    const code = typeof body.code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(body.code) ? body.code : `ERR_HTTP_${res.status}`
    throw new P2pdvError(code, `node ${this.name()} refused the serving receipt: ${typeof body.message === 'string' ? body.message.slice(0, 300) : `HTTP ${res.status}`}`, { details: { status: res.status } })
  }

  /** `GET /api/v1/receipts/{epoch}`: one page of the serving receipts the node kept (encoded, unverified). */
  async servingReceipts (epoch: number, after = 0, options: CallOptions = {}): Promise<ReceiptPage> {
    const body = await this.discoveryJson(`/api/v1/receipts/${epoch}${after > 0 ? `?after=${after}` : ''}`, options, MAX_RECEIPT_PAGE_BYTES)
    return this.rewardShape(() => parseReceiptPage(body, epoch, this.peerId), 'a page of serving receipts')
  }

  private rewardShape<T> (parse: () => T, what: string): T {
    try {
      return parse()
    } catch (err) {
      if (err instanceof RewardShapeError) throw this.badResponse(`answered with something that is not ${what} (${err.message})`)
      throw err
    }
  }

  private async discoveryJson (path: string, options: CallOptions, limit = MAX_VIDEO_PAGE_BYTES): Promise<unknown> {
    const res = await this.call({ method: 'GET', path, limit, headers: { accept: 'application/json' } }, options)
    const body = jsonObject(res.body)
    if (res.status === 200) return body
    const { code, message, hint } = body as { code?: unknown, message?: unknown, hint?: unknown }
    if (typeof code === 'string' && /^ERR_[A-Z0-9_]{1,60}$/.test(code)) {
      throw new P2pdvError(code, `node ${this.name()}: ${typeof message === 'string' ? message.slice(0, 300) : code}`, { ...(typeof hint === 'string' ? { hint: hint.slice(0, 300) } : {}), details: { status: res.status } })
    }
    throw this.badResponse(`answered HTTP ${res.status} for ${path.slice(0, 100)}`, { status: res.status })
  }

  private name (): string { return this.peerId ?? this.base }

  private badResponse (why: string, details: Record<string, unknown> = {}): P2pdvError {
    return new P2pdvError(NodeClientErrorCode.BAD_RESPONSE, `node ${this.name()} ${why}`, { hint: 'The node is faulty or runs another version; try another node.', details })
  }

  private expectOk (res: HttpResponse, what: string): void {
    if (res.status === 404) throw new P2pdvError(NodeClientErrorCode.NOT_FOUND, `node ${this.name()} does not have ${what}`, { hint: 'Ask another holder.', details: { status: 404 } })
    if (res.status !== 200) throw this.badResponse(`answered HTTP ${res.status} for ${what}`, { status: res.status })
  }

  private async getJson (path: string, limit: number, options: CallOptions): Promise<unknown> {
    const res = await this.call({ method: 'GET', path, limit, headers: { accept: 'application/json' } }, options)
    if (res.status !== 200) throw this.badResponse(`answered HTTP ${res.status} for ${path}`, { status: res.status })
    return this.json(res, path)
  }

  private json (res: HttpResponse, path: string): unknown {
    try {
      return JSON.parse(new TextDecoder().decode(res.body))
    } catch {
      throw this.badResponse(`did not answer ${path} with JSON`, { status: res.status, json: false })
    }
  }

  /** One request with the call's deadline; transport failures become typed errors. */
  private async call (r: Omit<HttpRequest, 'url' | 'signal'> & { path: string }, options: CallOptions): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs)
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
    const { path, ...rest } = r
    try {
      return await request({ ...rest, url: this.base + path, signal })
    } catch (cause) {
      if (options.signal?.aborted === true) throw options.signal.reason
      if (cause instanceof P2pdvError) throw cause
      if (timeout.aborted) throw new P2pdvError(NodeClientErrorCode.TIMEOUT, `node ${this.name()} did not answer ${r.method} ${path} in time`, { hint: 'The node is slow or overloaded; try again or another node.', cause })
      throw new P2pdvError(NodeClientErrorCode.UNREACHABLE, `cannot reach node ${this.name()} at ${this.base}`, { hint: 'Is the node running?', cause })
    }
  }
}

function jsonObject (bytes: Uint8Array): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof v === 'object' && v !== null ? v as Record<string, unknown> : {}
  } catch {
    return {}
  }
}
