/**
 * One studio upload: the very `p2pdv upload` command run in this process (same flags, same
 * checks, same transcode, sealing, listing and chain registration), with an Output that turns
 * its progress bars and notes into events for the page instead of terminal lines.
 */
import { randomBytes } from 'node:crypto'
import { clauseSpec, formatDurationSeconds, MAX_CLAUSES, MAX_REFUND_WINDOW_SECONDS, MAX_SPEC_LENGTH, parseCondition, parseDuration } from '@p2pdv/chain'
import { P2pdvError } from '@p2pdv/core/errors'
import { hintOf } from '@p2pdv/core/error-catalog'
import { parseCommandArgs, type Command } from '../command.ts'
import { Output, ProgressBar, toP2pdvError, type ProgressUpdate } from '../output.ts'
import type { StudioError, UploadEvent, UploadOutcome } from '@p2pdv/web/studio-wire'

export const MAX_TITLE = 200
export const MAX_DESCRIPTION = 5000
export const MAX_TAGS = 20
export const MAX_TAG = 40
export const ACCESS = ['public', 'paid', 'subscribers', 'private', 'unlisted'] as const
export type Access = typeof ACCESS[number]

/** The page's upload form, validated. */
export interface UploadRequest {
  file: string
  title: string
  description?: string
  tags: string[]
  access: Access
  price?: string
  duration?: string
  rating: number
  /** Upload a file this network already has again, as a new video (`--force`). */
  force: boolean
  /** An access condition (`--require`), its clauses in canonical spec form. */
  condition?: ConditionRequest
  /** Buyers may refund within this long (`--refund-window`), canonical ("7d"). */
  refundWindow?: string
  /** Who holds the key: t-of-n keepers (`--keepers n --threshold t`), none (`--no-keepers`), or the CLI's defaults. */
  keepers?: KeeperChoice
}

/** `none`: the creator hands out grant envelopes or the capability; otherwise any `threshold` of `count` keepers release the key. */
export type KeeperChoice = 'none' | { count: number, threshold: number }
/** As `upload --keepers`: 2 to 32 keepers, any 2 to all of them needed. */
const MAX_KEEPERS = 32

function keepersField (v: unknown): KeeperChoice | undefined {
  if (v === undefined || v === 'none') return v
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('keepers must be "none" or { count, threshold }')
  const k = v as Record<string, unknown>
  const extra = Object.keys(k).find(x => x !== 'count' && x !== 'threshold')
  if (extra !== undefined) throw bad(`unknown keepers field "${extra.slice(0, 40)}"`)
  const { count, threshold } = k
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 2 || count > MAX_KEEPERS) throw bad(`keepers.count must be a whole number from 2 to ${MAX_KEEPERS}`)
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 2 || threshold > count) throw bad(`keepers.threshold must be a whole number from 2 to keepers.count (${count})`)
  return { count, threshold }
}

/** An access condition from the page: 1 to 4 clause specs, joined by AND (or OR with `any`). */
export interface ConditionRequest { any: boolean, require: string[] }

/** The page's view of an upload job's events (one definition, in @p2pdv/web). */
export type StudioEvent = UploadEvent

export function bad (message: string): P2pdvError {
  return new P2pdvError('ERR_BAD_REQUEST', message, { hint: 'fix the field the message names and send the form again' })
}

export function text (v: unknown, name: string, max: number, required: boolean): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(`${name} is required`)
    return undefined
  }
  if (typeof v !== 'string') throw bad(`${name} must be text`)
  if (v.length > max) throw bad(`${name} is longer than ${max} characters`)
  // Control characters other than line breaks and tabs have no place in a listing.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw bad(`${name} contains control characters`)
  return v
}

/** The listing fields both forms share (upload and edit), checked the same way. */
function titleField (v: unknown): string {
  const title = text(v, 'title', MAX_TITLE, true)!.trim()
  if (title === '') throw bad('title is required')
  return title
}

function tagsField (v: unknown): string[] {
  if (v !== undefined && (!Array.isArray(v) || v.length > MAX_TAGS)) throw bad(`tags must be a list of at most ${MAX_TAGS}`)
  const tags = ((v ?? []) as unknown[]).map(t => text(t, 'a tag', MAX_TAG, true)!.trim())
  if (tags.some(t => t === '' || t.includes(','))) throw bad('a tag is empty or contains a comma')
  return tags
}

function priceField (v: unknown, required: boolean): string | undefined {
  const price = text(v, 'price', 40, required)?.trim()
  if (price !== undefined && !/^[0-9][0-9.]*([a-z0-9]{1,10})?$/i.test(price)) throw bad('price must be an amount like 0.01 or 25p2pv')
  return price
}

function durationField (v: unknown, price: string | undefined, noPrice: string): string | undefined {
  const duration = text(v, 'duration', 20, false)?.trim()
  if (duration !== undefined && price === undefined) throw bad(noPrice)
  if (duration !== undefined && !/^[0-9]+[a-z]{0,2}$/i.test(duration)) throw bad('duration must be like 48h or 30d')
  return duration
}

/**
 * An access condition field `{ any, require: [SPEC …] }`: its shape is checked here
 * (ERR_BAD_REQUEST), each spec by @p2pdv/chain's parser (ERR_CONDITION_…, its message and hint
 * reach the page). The clauses are passed on as the parser prints them back (clauseSpec), so what
 * runs is what was checked, and no spec can start with '-'.
 */
export function conditionField (v: unknown): ConditionRequest | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('condition must be an object { any, require }')
  const c = v as Record<string, unknown>
  const extra = Object.keys(c).find(k => k !== 'any' && k !== 'require')
  if (extra !== undefined) throw bad(`unknown condition field "${extra.slice(0, 40)}"`)
  const any = c.any ?? false
  if (typeof any !== 'boolean') throw bad('condition.any must be true or false')
  // Longer lists are the parser's to refuse (ERR_CONDITION_COUNT); a list far past it is not a form's.
  if (!Array.isArray(c.require) || c.require.length > MAX_CLAUSES * 4) throw bad(`condition.require must be a list of 1 to ${MAX_CLAUSES} clauses`)
  const specs = c.require.map(s => {
    if (typeof s !== 'string') throw bad('each condition clause must be text, like erc20:0xTOKEN>=100')
    return s.slice(0, MAX_SPEC_LENGTH + 1)
  })
  const parsed = parseCondition(specs, any)
  return { any, require: parsed.clauses.map(clauseSpec) }
}

/** A refund window field ("48h", "7d", "0"), checked by @p2pdv/chain (ERR_BAD_DURATION, ERR_REFUND_WINDOW); canonical form. */
export function refundWindowField (v: unknown): string | undefined {
  const given = text(v, 'refund window', 20, false)?.trim()
  if (given === undefined || given === '') return undefined
  const seconds = parseDuration(given)
  if (seconds > MAX_REFUND_WINDOW_SECONDS) throw new P2pdvError('ERR_REFUND_WINDOW', `a refund window of ${given} is longer than 30 days`, { hint: 'Give e.g. 48h or 7d; 0 turns refunds off for later sales.' })
  return seconds === 0n ? '0' : formatDurationSeconds(seconds)
}

/** Checks every field of an upload form from the page; throws ERR_BAD_REQUEST naming the field. */
export function parseUploadRequest (body: unknown): UploadRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object')
  const b = body as Record<string, unknown>
  const known = new Set(['file', 'title', 'description', 'tags', 'access', 'price', 'duration', 'rating', 'force', 'condition', 'refundWindow', 'keepers'])
  const extra = Object.keys(b).find(k => !known.has(k))
  if (extra !== undefined) throw bad(`unknown field "${extra.slice(0, 40)}"`)
  const file = text(b.file, 'file', 64, true)!
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(file)) throw bad('file is not a file id the studio gave')
  const title = titleField(b.title)
  const description = text(b.description, 'description', MAX_DESCRIPTION, false)
  const tags = tagsField(b.tags)
  const access = b.access ?? 'public'
  if (typeof access !== 'string' || !(ACCESS as readonly string[]).includes(access)) throw bad(`access must be one of ${ACCESS.join(', ')}`)
  const price = priceField(b.price, access === 'paid')
  if (price !== undefined && access !== 'paid') throw bad('only a paid video has a price')
  const duration = durationField(b.duration, price, 'only a paid video has a rental duration')
  const rating = b.rating ?? 0
  if (typeof rating !== 'number' || !Number.isInteger(rating) || rating < 0 || rating > 4) throw bad('rating must be a whole number from 0 to 4')
  const force = b.force ?? false
  if (typeof force !== 'boolean') throw bad('force must be true or false')
  const condition = conditionField(b.condition)
  const refund = refundWindowField(b.refundWindow)
  const refundWindow = refund === '0' ? undefined : refund
  if (refundWindow !== undefined && price === undefined) throw bad('only a paid video has a refund window')
  const keepers = keepersField(b.keepers)
  return {
    file,
    title,
    ...(description === undefined ? {} : { description }),
    tags,
    access: access as Access,
    ...(price === undefined ? {} : { price }),
    ...(duration === undefined ? {} : { duration }),
    rating,
    force,
    ...(condition === undefined ? {} : { condition }),
    ...(refundWindow === undefined ? {} : { refundWindow }),
    ...(keepers === undefined ? {} : { keepers })
  }
}

/** The page's listing edit of a video on chain (`p2pdv edit`), validated. */
export interface EditRequest { title: string, description: string, tags: string[], price?: string, duration?: string }

/** Checks an edit form; throws ERR_BAD_REQUEST naming the field. */
export function parseEditRequest (body: unknown): EditRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object')
  const b = body as Record<string, unknown>
  const extra = Object.keys(b).find(k => !['title', 'description', 'tags', 'price', 'duration'].includes(k))
  if (extra !== undefined) throw bad(`unknown field "${extra.slice(0, 40)}"`)
  const title = titleField(b.title)
  const description = text(b.description, 'description', MAX_DESCRIPTION, false) ?? ''
  const tags = tagsField(b.tags)
  const price = priceField(b.price, false)
  const duration = durationField(b.duration, price, 'only a price has a rental duration')
  return { title, description, tags, ...(price === undefined ? {} : { price }), ...(duration === undefined ? {} : { duration }) }
}

/** The `p2pdv edit` arguments for an edit form, `--flag=value` as for uploads. */
export function editArgv (video: string, req: EditRequest): string[] {
  return [
    video,
    `--title=${req.title}`,
    `--description=${req.description}`,
    `--tags=${req.tags.join(',')}`,
    ...(req.price === undefined ? [] : [`--price=${req.price}`]),
    ...(req.duration === undefined ? [] : [`--duration=${req.duration}`])
  ]
}

/** `p2pdv require VIDEO SPEC … [--any]` for a condition form (specs canonical: none starts with '-'). */
export function requireArgv (video: string, c: ConditionRequest): string[] {
  return [video, ...c.require, ...(c.any ? ['--any'] : [])]
}

/** The condition form of the manage page: `{ any, require }`, nothing else. */
export function parseConditionRequest (body: unknown): ConditionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object')
  const c = conditionField(body)
  if (c === undefined) throw bad('condition.require is required')
  return c
}

/** The refund window form of the manage page: `{ "window": "7d" }` ("0": no refunds for later sales). */
export function parseRefundWindowRequest (body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object')
  const b = body as Record<string, unknown>
  const extra = Object.keys(b).find(k => k !== 'window')
  if (extra !== undefined) throw bad(`unknown field "${extra.slice(0, 40)}"`)
  const window = refundWindowField(b.window)
  if (window === undefined) throw bad('window is required (e.g. 7d, or 0 for no refunds)')
  return window
}

/** The `p2pdv upload` arguments for a form: `--flag=value`, so no value is read as a flag. */
export function uploadArgv (req: UploadRequest, path: string, base: string[]): string[] {
  return [
    path,
    `--title=${req.title}`,
    ...(req.description === undefined ? [] : [`--description=${req.description}`]),
    ...(req.tags.length === 0 ? [] : [`--tags=${req.tags.join(',')}`]),
    ...(req.access === 'unlisted' ? ['--unlisted'] : []),
    ...(req.access === 'private' ? ['--private'] : []),
    ...(req.access === 'subscribers' ? ['--subscribers-only'] : []),
    ...(req.price === undefined ? [] : [`--price=${req.price}`]),
    ...(req.duration === undefined ? [] : [`--duration=${req.duration}`]),
    ...(req.rating === 0 ? [] : [`--rating=${req.rating}`]),
    ...(req.force ? ['--force'] : []),
    ...(req.refundWindow === undefined ? [] : [`--refund-window=${req.refundWindow}`]),
    ...(req.condition?.require ?? []).map(spec => `--require=${spec}`),
    ...(req.condition?.any === true ? ['--require-any'] : []),
    ...(req.keepers === 'none' ? ['--no-keepers'] : []),
    ...(req.keepers === undefined || req.keepers === 'none' ? [] : [`--keepers=${req.keepers.count}`, `--threshold=${req.keepers.threshold}`]),
    ...base,
    '--json'
  ]
}

const STAGE_NAMES: Record<string, string> = { transcode: 'Transcoding', 'seal + store': 'Encrypting and storing' }
/** Progress events a second per stage, at most (the page redraws no faster than that is useful). */
const EVENTS_PER_SECOND = 5
/** Notes kept for a page that subscribes late. */
const MAX_HISTORY = 200

class EventBar extends ProgressBar {
  private readonly emit: (e: StudioEvent) => void
  private readonly stage: string
  private lastEmit = 0

  constructor (stage: string, emit: (e: StudioEvent) => void) {
    super(stage, undefined)
    this.stage = stage
    this.emit = emit
  }

  override update (u: ProgressUpdate): void {
    super.update(u)
    const now = performance.now()
    const complete = u.total !== undefined && u.done >= u.total
    if (!complete && now - this.lastEmit < 1000 / EVENTS_PER_SECOND) return
    this.lastEmit = now
    const percent = u.total !== undefined && u.total > 0 ? Math.min(100, Math.round(u.done / u.total * 1000) / 10) : undefined
    this.emit({ type: 'progress', stage: this.stage, ...(percent === undefined ? {} : { percent }), ...(u.detail === undefined ? {} : { detail: u.detail }) })
  }

  override finish (): { seconds: number, bytesPerSecond: number } {
    this.emit({ type: 'progress', stage: this.stage, percent: 100 })
    return super.finish()
  }
}

class EventOutput extends Output {
  value: unknown
  private readonly emit: (e: StudioEvent) => void

  constructor (emit: (e: StudioEvent) => void) {
    super({ json: true, stdout: devNull, stderr: devNull })
    this.emit = emit
  }

  override line (): void {}
  override note (text: string): void { this.emit({ type: 'note', text: text.trim() }) }
  override result (value: unknown): void { this.value = value }
  override error (): void {}
  override progress (label: string): ProgressBar { return new EventBar(STAGE_NAMES[label] ?? label, this.emit) }
}

const devNull = { write: () => true } as unknown as NodeJS.WritableStream

export type JobStatus = 'running' | 'done' | 'failed'

/** A running or finished upload, with the events a page replays when it (re)subscribes. */
export class UploadJob {
  readonly id = randomBytes(9).toString('base64url')
  readonly title: string
  readonly startedAt = Date.now()
  status: JobStatus = 'running'
  outcome: UploadOutcome | undefined
  failure: StudioError | undefined
  private readonly history: StudioEvent[] = []
  private readonly listeners = new Set<(e: StudioEvent) => void>()

  constructor (title: string) {
    this.title = title
  }

  /** The events so far (the latest progress of each stage, the notes), then every later one. */
  subscribe (listener: (e: StudioEvent) => void): () => void {
    for (const e of this.history) listener(e)
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  emit (e: StudioEvent): void {
    if (e.type === 'progress') {
      const i = this.history.findIndex(h => h.type === 'progress' && h.stage === e.stage)
      if (i >= 0) this.history[i] = e
      else this.history.push(e)
    } else if (this.history.length < MAX_HISTORY) {
      this.history.push(e)
    }
    for (const l of this.listeners) l(e)
  }

  /** Runs `upload` with these arguments; never throws (a failure becomes the job's error event). */
  async run (upload: Command, argv: string[]): Promise<void> {
    const out = new EventOutput(e => { this.emit(e) })
    try {
      await upload.run(parseCommandArgs(upload, argv), out)
      this.outcome = outcomeOf(out.value)
      this.status = 'done'
      this.emit({ type: 'done', result: this.outcome })
    } catch (err) {
      const e = toP2pdvError(err)
      const hint = e.hint ?? hintOf(e.code)
      this.failure = { code: e.code, message: e.message, ...(hint === undefined ? {} : { hint }) }
      this.status = 'failed'
      this.emit({ type: 'error', error: this.failure })
    }
  }
}

function outcomeOf (value: unknown): UploadOutcome {
  const r = value as Record<string, unknown> & { chain?: { videoId?: string } }
  const str = (k: string): string | undefined => typeof r[k] === 'string' ? r[k] : undefined
  return {
    title: str('title') ?? '',
    manifestCid: str('manifestCid') ?? '',
    watchUrl: str('watchUrl') ?? '',
    ...(r.chain?.videoId === undefined ? {} : { videoId: r.chain.videoId }),
    ...(str('videoLink') === undefined ? {} : { videoLink: str('videoLink')! }),
    ...(str('videoWatchUrl') === undefined ? {} : { videoWatchUrl: str('videoWatchUrl')! }),
    ...(str('listingCid') === undefined ? {} : { listingCid: str('listingCid')! }),
    ...(typeof r.durationSeconds === 'number' ? { durationSeconds: r.durationSeconds } : {})
  }
}
