/**
 * `p2pdv search WORDS`: ask a node's discovery index (GET /api/v1/videos through NodeClient) and
 * print what a person looks for: title, creator, duration, price. Ids and CIDs are in `--json`.
 * Listing text is a stranger's: control and bidi characters are replaced before it reaches the
 * terminal (an escape sequence in a title must not repaint it).
 */
import { listOpt, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { NODE_OPTION } from '../peers-from-args.ts'
import { formatDuration } from '../format.ts'

/** Replaces terminal control characters, C1 controls and bidi overrides with U+FFFD. */
export function terminalText (s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd')
}

/** The node a discovery command asks: the first --node, else the running devnet's first node. */
export async function discoveryNode (args: ParsedArgs): Promise<string> {
  const urls = listOpt(args, 'node')
  if (urls.length > 0) return urls[0]!
  const { readDevnetState } = await import('../devnet-state.ts')
  const state = await readDevnetState()
  return state.nodes[0]!.http
}

export interface VideoSummary {
  title: string
  owner: string
  durationSeconds: number
  policy: string
  price?: { asset: string, amount: bigint, durationSeconds: bigint }
}

/** "free", "0.001 ETH", "0.5 P2PV / 30 days", "subscribers", "paid (no price set)". */
export async function priceText (v: Pick<VideoSummary, 'policy' | 'price'>): Promise<string> {
  if (v.policy === 'public') return 'free'
  if (v.policy !== 'paid') return v.policy
  if (v.price === undefined) return 'paid (no price set)'
  const { formatAmount, formatDurationSeconds } = await import('@p2pdv/chain')
  const asset = v.price.asset === 'eth' ? 'eth' : 'p2pv'
  return `${formatAmount(v.price.amount, asset)}${v.price.durationSeconds === 0n ? '' : ` / ${formatDurationSeconds(v.price.durationSeconds)}`}`
}

/** How a creator shows in lists: their channel name when known, with the address (shortened) or wallet name. */
export function creatorLabel (owner: string, creatorName?: string): string {
  return creatorName === undefined ? owner : `${creatorName} (${owner.length === 42 ? `${owner.slice(0, 6)}…${owner.slice(-4)}` : owner})`
}

/** One line per video: title, then creator · duration · price. */
export async function videoLines (v: VideoSummary, creator: string): Promise<string> {
  return `${terminalText(v.title)}\n    ${terminalText(creator)} · ${formatDuration(v.durationSeconds)} · ${await priceText(v)}`
}

export const search: Command = {
  name: 'search',
  summary: 'search the public listings a node indexes (titles, descriptions, tags); prints title, creator, duration, price',
  usage: 'search WORDS… [--tag TAG] [--category NAME] [--sort relevance|latest|trending] [--limit N] [--node URL] [--json]',
  options: { tag: { type: 'string' }, category: { type: 'string' }, sort: { type: 'string' }, limit: { type: 'string' }, ...NODE_OPTION },
  async run (args, out) {
    const { NodeClient } = await import('@p2pdv/node-client')
    const { P2pdvError } = await import('@p2pdv/core/errors')
    const q = args.positionals.join(' ').trim()
    const tag = stringOpt(args, 'tag')
    const category = stringOpt(args, 'category')
    if (q === '' && tag === undefined && category === undefined) {
      throw new P2pdvError('ERR_USAGE', 'search for what? give some words, --tag or --category', { hint: `usage: p2pdv ${search.usage}` })
    }
    const sort = stringOpt(args, 'sort')
    const limit = stringOpt(args, 'limit')
    const node = new NodeClient(await discoveryNode(args))
    const page = await node.videos({
      ...(q === '' ? {} : { q }),
      ...(tag === undefined ? {} : { tag }),
      ...(category === undefined ? {} : { category }),
      ...(sort === undefined ? {} : { sort: sort as 'latest' }),
      ...(limit === undefined ? {} : { limit: Number(limit) })
    })
    const lines = await Promise.all(page.videos.map(async v => await videoLines(v, creatorLabel(v.owner, v.creatorName))))
    out.result({ videos: page.videos, ...(page.next === undefined ? {} : { next: page.next }) }, () => page.videos.length === 0
      ? `nothing found for "${terminalText(q || tag || category || '')}"`
      : lines.join('\n') + (page.next === undefined ? '' : '\n(more: --json gives a cursor)'))
  }
}
