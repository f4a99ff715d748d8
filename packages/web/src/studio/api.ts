/**
 * The studio page's calls to its local server. The per-run token arrives in the URL fragment
 * (never sent to a server, never in a Referer), is kept in this tab's sessionStorage and taken
 * out of the address bar, and goes with every call as a bearer token.
 */
import type { StudioError, UploadEvent, UploadOutcome } from './wire.ts'

export type { StudioError, UploadEvent, UploadOutcome } from './wire.ts'

const TOKEN_KEY = 'p2pdv.studio.token'

export class StudioCallError extends Error {
  readonly code: string
  readonly hint: string | undefined
  constructor (e: StudioError) {
    super(e.message)
    this.code = e.code
    this.hint = e.hint
  }
}

export function takeToken (): string | undefined {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]{20,200})/.exec(window.location.hash)
  if (m !== null) {
    sessionStorage.setItem(TOKEN_KEY, m[1]!)
    history.replaceState(null, '', window.location.pathname)
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined
}

function auth (): Record<string, string> {
  return { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` }
}

async function errorOf (res: Response): Promise<StudioCallError> {
  try {
    const body = await res.json() as { error?: StudioError }
    if (typeof body.error?.code === 'string') return new StudioCallError(body.error)
  } catch {}
  return new StudioCallError({ code: 'ERR_UNEXPECTED', message: `the studio answered ${res.status}`, hint: 'Is `p2pdv studio` still running? Start it again and open the new link.' })
}

export async function call<T> (path: string, init: RequestInit = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, { ...init, headers: { ...auth(), ...(init.headers as Record<string, string> | undefined) } })
  } catch {
    throw new StudioCallError({ code: 'ERR_NODE_UNREACHABLE', message: 'the studio is not answering', hint: 'Is `p2pdv studio` still running? Start it again and open the new link.' })
  }
  if (!res.ok) throw await errorOf(res)
  return await res.json() as T
}

/** An image the studio serves (with the token), as a blob: URL for <img>; undefined when it has none. */
export async function imageUrl (path: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const res = await fetch(path, { headers: auth(), ...(signal === undefined ? {} : { signal }) })
    if (!res.ok) return undefined
    return URL.createObjectURL(await res.blob())
  } catch {
    return undefined
  }
}

/** Sends a file to the studio, reporting the bytes sent (XHR: fetch cannot report upload progress). */
export async function sendFile (file: File, onProgress: (sent: number, total: number) => void, path = '/api/files'): Promise<{ file: string, bytes: number }> {
  return await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', path)
    for (const [k, v] of Object.entries(auth())) xhr.setRequestHeader(k, v)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = e => { onProgress(e.loaded, e.total) }
    xhr.onload = () => {
      let body: unknown
      try { body = JSON.parse(xhr.responseText) } catch {}
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as { file: string, bytes: number })
      else {
        const e = (body as { error?: StudioError } | undefined)?.error
        reject(new StudioCallError(e ?? { code: 'ERR_UNEXPECTED', message: `the studio answered ${xhr.status}` }))
      }
    }
    xhr.onerror = () => { reject(new StudioCallError({ code: xhr.status === 0 ? 'ERR_BODY_TOO_LARGE' : 'ERR_NODE_UNREACHABLE', message: 'the studio stopped receiving the file', hint: 'The file may be over the studio\'s size limit (--max-upload-mb), or the studio stopped.' })) }
    xhr.send(file)
  })
}

/** Reads the job's server-sent events (with fetch: EventSource cannot send the token). */
export async function followUpload (job: string, onEvent: (e: UploadEvent) => void): Promise<void> {
  const res = await fetch(`/api/uploads/${encodeURIComponent(job)}/events`, { headers: auth() })
  if (!res.ok || res.body === null) throw await errorOf(res)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = frame.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n')
      if (data !== '') onEvent(JSON.parse(data) as UploadEvent)
    }
  }
}

export interface Session { account: string | null, chain: boolean, nodes: string[], network: string, maxUploadBytes: number }
export interface VideoRow { title: string, manifestCid: string, listingCid?: string, uploadedAt: number }
export interface UploadRow { id: string, title: string, status: 'running' | 'done' | 'failed', startedAt: number, result?: UploadOutcome, error?: StudioError }

/** An error from a call, as the studio shows it. */
export function studioErrorOf (e: unknown): StudioError {
  if (e instanceof StudioCallError) return { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }
  return { code: 'ERR_UNEXPECTED', message: (e as Error).message }
}

/** Sends a JSON body. */
export async function send<T> (path: string, method: 'POST' | 'DELETE', body?: unknown): Promise<T> {
  return await call<T>(path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
}

// The --json results of the `p2pdv` commands the studio runs (amounts in wei, as strings).

/** `p2pdv ls --mine`. */
export interface MineJson { videos: Array<{ id: string, manifestCid: string, policy: string, title?: string, description?: string, tags?: string[], price?: { asset: 'eth' | 'p2pv', amount: string, duration: string }, retired?: boolean, blocked?: boolean }> }
/** `p2pdv edit VIDEO`. */
export interface EditJson { video: string, listingCid?: string, title?: string, price?: { asset: 'eth' | 'p2pv', amount: string } }
/** `p2pdv viewers VIDEO`. */
export interface AudienceJson {
  video: string
  owner: string
  policy: string
  granted: Array<{ viewer: string, name?: string }>
  sales: Array<{ viewer: string, name?: string, asset: 'eth' | 'p2pv', amount: string, until: string, tx: string }>
  salesCount: number
  revenue: { eth: string, p2pv: string }
  /** The access condition (null: none). */
  condition: ConditionJson | null
  /** Seconds buyers may refund within ("0": no refunds). */
  refundWindow: string
}
/** An access condition as the commands print it: clause specs, joined by AND (or OR with `any`). */
export interface ConditionJson { any: boolean, require: string[] }
/** `p2pdv channel --json`, with the public page's URL the studio adds. */
export interface ChannelJson {
  address: string
  profileCid?: string
  profile?: { cid: string, name: string, bio?: string, avatar?: string, links: string[], updatedAt: number }
  videos: Array<{ id: string, title: string }>
  pageUrl: string
}
/** `p2pdv channel set --json`. */
export interface ChannelSetJson { address: string, profileCid: string, avatarCid?: string, name: string, bio?: string, links: string[], nodes: string[], tx: string }
/** `p2pdv keys audit VIDEO`. */
export interface AuditJson {
  epoch: number
  threshold: number
  keepers: Array<{
    keeper: string
    ok: boolean
    audit?: { length: number, anchor?: { length: number }, entries: Array<{ seq: number, time: number, body?: { kind: string, subject: string, decision: string, epoch: number } }> }
    error?: { code: string, message: string }
  }>
}
/** `p2pdv balance`. */
export interface BalanceJson {
  address: string
  eth: string
  p2pv: string
  owedEth: string
  owedP2pv: string
  /** Sales made under a refund window, held in escrow (before the split) until it closes. */
  held?: { eth: string, p2pv: string, sales: number, releasable: number }
}
/** `p2pdv withdraw`. */
export interface WithdrawJson { withdrawn: Array<{ asset: 'eth' | 'p2pv', amount: string }> }

/** Wei (a decimal string) as ether or P2PV with up to 6 decimals: "0.0085 ETH". */
export function formatWei (wei: string, asset: 'eth' | 'p2pv'): string {
  const v = BigInt(wei)
  const whole = v / 10n ** 18n
  const frac = (v % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '')
  return `${whole}${frac === '' ? '' : `.${frac}`} ${asset === 'eth' ? 'ETH' : 'P2PV'}`
}

export function shortAddress (a: string): string { return `${a.slice(0, 6)}…${a.slice(-4)}` }
