import { LIVE_CHAT_ERRORS } from './live-chat.ts'
import type { ErrorTable } from './spec.ts'

/** Live streams: announcements nodes accept and serve, links and epoch keys viewers open. */
export const LIVE_ERRORS = {
  ERR_LIVE_MALFORMED: { status: 400, hint: 'Send announcements as the p2pdv client builds them (docs/protocol.md "Live streams").' },
  ERR_LIVE_SIGNATURE: { status: 403, hint: 'Only the stream key (the creator\'s) signs its announcements; this one is forged or altered.' },
  ERR_LIVE_REPLAY: { status: 409, hint: 'The sequence must rise for each stream and rendition; this announcement was already seen or is older.' },
  ERR_LIVE_BLOCK_MISSING: { status: 422, hint: 'Store the sealed segment on this node (PUT /ipfs/<cid>) before announcing it, with the size announced.' },
  ERR_LIVE_RATE: { status: 429, hint: 'Too many announcements in a short time; wait the Retry-After seconds.' },
  ERR_LIVE_FULL: { status: 503, hint: 'This node follows as many live streams as it allows; announce to another node.' },
  ERR_LIVE_NOT_FOUND: { status: 404, hint: 'This node has no recent announcement of the stream: it has not started, has ended, or was announced to other nodes.' },
  ERR_LIVE_ENDED: { status: 410, hint: 'The creator stopped streaming or lost their connection; reload the page to watch again if they come back.' },
  ERR_LIVE_KEY: { status: 403, hint: 'Check that the live link was copied completely (the part after # is the key).' },
  ERR_LIVE_EPOCH_GONE: { status: 410, hint: 'The keepers hold a later epoch\'s key now; fetch that one and walk back through an announcement of that epoch (key.prev).' },
  ERR_LIVE_EPOCH_NOT_YET: { status: 409, hint: 'The creator has not handed this epoch\'s key to the keepers yet; retry in a second.' },
  ERR_LIVE_EMPTY: { status: 409, hint: 'The stream ended before any segment was published, so nothing was archived or registered as a video: check that the ingest receives media and a node stores it, then start again.' },
  ERR_BAD_LIVE_LINK: { status: 400, hint: 'A live link looks like p2pdv://live/<64 hex digits>#<key>; copy it completely.' },
  ...LIVE_CHAT_ERRORS
} as const satisfies ErrorTable
