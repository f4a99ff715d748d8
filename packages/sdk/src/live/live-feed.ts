/**
 * A viewer's feed of live announcements: the node's event stream (`GET /api/v1/live/:stream/events`,
 * SSE) read with fetch (so it runs in browsers and Node alike and its size is bounded), with
 * failover: when the node in use goes away, the next one is asked, and its backlog (the whole
 * window) fills whatever was missed. Announcements are handed over as parsed JSON, unchecked: the
 * LiveSource verifies every one.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { LiveErrorCode, MAX_ANNOUNCEMENT_BYTES } from '@p2pdv/core/live'

/** Pause before asking the next node after a failure (the node's own `retry:` is 1 s). */
export const FEED_RETRY_MS = 500
/** An SSE line longer than this is hostile or broken: the connection is dropped. */
const MAX_LINE_CHARS = 2 * MAX_ANNOUNCEMENT_BYTES

export interface LiveFeedOptions {
  /** HTTP bases of the nodes that may carry the stream, tried in turn. */
  nodes: () => string[]
  stream: string
  onAnnouncement: (json: unknown) => void
  /** Every node answered that it has no such stream (once per round of all nodes). */
  onNotFound?: (err: P2pdvError) => void
  /** A node's feed opened (for diagnostics: which node feeds the page). */
  onConnected?: (node: string) => void
  signal: AbortSignal
  fetch?: typeof globalThis.fetch
  /** The stream's event route after `/api/v1/live/:stream/` (`events`; the chat reads `chat/events`). */
  path?: string
  /** Events other than `announcement` (the chat's `chat` and `moderation`), parsed JSON. */
  onEvent?: (event: string, json: unknown) => void
  /** Longest event accepted (2 × MAX_ANNOUNCEMENT_BYTES); longer ones drop the connection. */
  maxEventChars?: number
}

/** Runs until `signal` aborts; never throws (failures move on to the next node). */
export async function runLiveFeed (opts: LiveFeedOptions): Promise<void> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
  let turn = 0
  let notFoundInRow = 0
  while (!opts.signal.aborted) {
    const nodes = opts.nodes()
    const base = nodes.length === 0 ? undefined : nodes[turn++ % nodes.length]
    if (base !== undefined) {
      try {
        const res = await doFetch(new URL(`/api/v1/live/${opts.stream}/${opts.path ?? 'events'}`, base), { signal: opts.signal, headers: { accept: 'text/event-stream' } })
        if (res.status === 404) {
          await res.body?.cancel().catch(() => {})
          if (++notFoundInRow >= nodes.length) {
            notFoundInRow = 0
            opts.onNotFound?.(new P2pdvError(LiveErrorCode.NOT_FOUND, 'no node has announcements of this live stream', {
              hint: 'The stream has not started yet, or ended more than a few minutes ago. Check the link, or ask the creator whether it is live.'
            }))
          }
        } else if (res.ok && res.body !== null) {
          notFoundInRow = 0
          opts.onConnected?.(base)
          await readEvents(res.body, opts)
        } else {
          await res.body?.cancel().catch(() => {})
        }
      } catch {
        // A node that is down, refused or cut the stream: the next one is asked.
      }
    }
    if (opts.signal.aborted) return
    await new Promise<void>(resolve => {
      const t = setTimeout(done, FEED_RETRY_MS)
      function done (): void { clearTimeout(t); opts.signal.removeEventListener('abort', done); resolve() }
      opts.signal.addEventListener('abort', done)
    })
  }
}

/** Parses `event: announcement` / `data: {...}` frames until the stream ends. */
async function readEvents (body: ReadableStream<Uint8Array>, opts: LiveFeedOptions): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let event = 'message'
  let data = ''
  const maxChars = opts.maxEventChars ?? MAX_LINE_CHARS
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '')
        buffer = buffer.slice(nl + 1)
        if (line === '') {
          if (data !== '') {
            let json: unknown
            try { json = JSON.parse(data) } catch { json = undefined }
            if (json !== undefined && event === 'announcement') opts.onAnnouncement(json)
            else if (json !== undefined) opts.onEvent?.(event, json)
          }
          event = 'message'
          data = ''
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim()
        } else if (line.startsWith('data:')) {
          data += line.slice(5).trimStart()
          if (data.length > maxChars) return
        }
      }
      if (buffer.length > maxChars) return
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
