/**
 * The creator's chat console inside `p2pdv live start`: the stream key lives in that process only
 * (no file), and only it signs moderation lists, so moderating happens there. Lines typed on stdin:
 *
 *   /hide ID      hide a message (an id prefix, as printed)
 *   /mute SENDER  mute a sender (a key prefix, as printed)
 *   /unmute SENDER
 *   anything else is sent to the chat as the creator
 *
 * Messages are printed as they arrive: `chat <sender 8 hex> <id 8 hex>: text`. The console reads
 * the chat with the epoch keys the live link unwraps (link-mode streams; a keeper-gated stream's
 * console moderates but does not print).
 */
import { P2pdvError } from '@p2pdv/core/errors'

export type ChatCommand =
  | { kind: 'hide', prefix: string }
  | { kind: 'mute' | 'unmute', prefix: string }
  | { kind: 'say', text: string }
  | { kind: 'none' }

const USAGE = 'chat commands: /hide ID, /mute SENDER, /unmute SENDER (hex prefixes as printed, 4 digits at least); other lines are sent as the creator'

function usage (why: string): P2pdvError {
  return new P2pdvError('ERR_USAGE', why, { hint: USAGE })
}

/** One typed line → a command; throws ERR_USAGE for a malformed one. */
export function parseChatLine (line: string): ChatCommand {
  const text = line.trim()
  if (text === '') return { kind: 'none' }
  if (!text.startsWith('/')) return { kind: 'say', text }
  const m = /^\/(hide|mute|unmute)\s+([0-9a-fA-F]{4,64})$/.exec(text)
  if (m === null) throw usage(`not a chat command: ${text.slice(0, 40)}`)
  return { kind: m[1] as 'hide' | 'mute' | 'unmute', prefix: m[2]!.toLowerCase() }
}

/** The one full value among `known` that starts with `prefix` (ERR_USAGE when none or several). */
export function resolvePrefix (prefix: string, known: Iterable<string>, what: string): string {
  const matches = new Set([...known].filter(k => k.startsWith(prefix)))
  if (matches.size === 1) return [...matches][0]!
  throw usage(matches.size === 0 ? `no ${what} starts with ${prefix} in the chat` : `${matches.size} ${what}s start with ${prefix}: type more digits`)
}

export interface ChatConsoleOptions {
  stream: string
  /** The live link (link-mode streams): the console unwraps epoch keys from announcements to read the chat. */
  link: string | undefined
  /** The stream key: signs moderation lists and the creator's messages. */
  signer: { publicKey: Uint8Array, sign: (m: Uint8Array) => Promise<Uint8Array> }
  nodes: string[]
  currentEpoch: () => number
  input: NodeJS.ReadableStream
  print: (line: string) => void
  signal: AbortSignal
}

/** Runs the console until `signal` aborts; typing errors are printed with their code, never thrown. */
export async function runChatConsole (o: ChatConsoleOptions): Promise<void> {
  const [{ createInterface }, { LiveChat }, { publishModeration }, live, { NodeClient }] = await Promise.all([
    import('node:readline'), import('@p2pdv/sdk/live'), import('@p2pdv/sdk/live'), import('@p2pdv/core/live'), import('@p2pdv/node-client')
  ])
  const link = o.link === undefined ? undefined : live.parseLiveLink(o.link)
  const keys = new Map<number, Promise<Uint8Array>>()
  // An epoch's key, unwrapped from an announcement of that epoch in a node's window.
  const epochKey = async (epoch: number): Promise<Uint8Array> => {
    if (link === undefined) throw new P2pdvError(live.LiveErrorCode.KEY, 'a keeper-gated stream\'s console does not read the chat')
    let p = keys.get(epoch)
    if (p === undefined) {
      p = (async () => {
        for (const node of o.nodes) {
          try {
            for (const json of await new NodeClient(node).liveWindow(o.stream, { signal: o.signal })) {
              const a = live.announcementFromJson(json)
              if (a.epoch === epoch && await live.verifyAnnouncement(a)) return await live.unwrapEpochKey(link, epoch, a.key)
            }
          } catch { /* the next node */ }
        }
        throw new P2pdvError(live.LiveErrorCode.EPOCH_GONE, `no node has an announcement of epoch ${epoch} any more`)
      })()
      keys.set(epoch, p)
      p.catch(() => keys.delete(epoch))
    }
    return await p
  }
  const seen = new Map<string, string>() // message id → sender, for /hide and /mute prefixes
  const chat = new LiveChat({
    stream: o.stream, nodes: () => o.nodes, epochKey, currentEpoch: o.currentEpoch, identity: o.signer, signal: o.signal,
    onChange: entries => {
      for (const e of entries) {
        if (seen.has(e.id)) continue
        seen.set(e.id, e.from)
        o.print(`chat ${e.creator ? 'creator ' : e.short} ${e.id.slice(0, 8)}: ${e.text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')}`)
      }
    }
  })
  void chat.run()
  const senders = () => new Set(seen.values())
  const lines = createInterface({ input: o.input, terminal: false })
  o.signal.addEventListener('abort', () => { lines.close() }, { once: true })
  for await (const line of lines) {
    try {
      const cmd = parseChatLine(line)
      if (cmd.kind === 'none') continue
      if (cmd.kind === 'say') { await chat.send(cmd.text); continue }
      const change = cmd.kind === 'hide'
        ? { hide: [resolvePrefix(cmd.prefix, seen.keys(), 'message')] }
        : { [cmd.kind]: [resolvePrefix(cmd.prefix, [...senders(), ...chat.list?.muted ?? []], 'sender')] }
      const list = await publishModeration({ stream: o.stream, streamSigner: o.signer, nodes: o.nodes, change, signal: o.signal })
      o.print(`moderation v${list.version}: ${list.hidden.length} hidden, ${list.muted.length} muted`)
    } catch (err) {
      if (o.signal.aborted) return
      o.print(`chat: ${(err as { code?: string }).code ?? 'ERR'} ${(err as Error).message}`)
    }
  }
}
