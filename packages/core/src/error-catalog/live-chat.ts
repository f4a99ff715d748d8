import type { ErrorTable } from './spec.ts'

/** Live chat: messages nodes relay without reading, the creator's moderation list, and what viewers open. */
export const LIVE_CHAT_ERRORS = {
  ERR_LIVE_CHAT_MALFORMED: { status: 400, hint: 'Send chat messages and moderation lists as the p2pdv client builds them (docs/protocol.md "Live chat").' },
  ERR_LIVE_CHAT_TOO_LARGE: { status: 413, hint: 'Shorten the message: at most 2030 bytes of UTF-8 text (a 2 KiB box).' },
  ERR_LIVE_CHAT_SIGNATURE: { status: 403, hint: 'A message is signed by its sender and a moderation list by the stream key; this one is forged or altered.' },
  ERR_LIVE_CHAT_REPLAY: { status: 409, hint: 'This message (or a later one from the same sender) was seen already, or its time is more than a minute off: check the clock and send it again.' },
  ERR_LIVE_CHAT_EPOCH: { status: 409, hint: 'Encrypt under the epoch the stream is in now (its newest announcement); reload the stream to get the current key.' },
  ERR_LIVE_CHAT_RATE: { status: 429, hint: 'Too many chat messages in a short time; wait the Retry-After seconds.' },
  ERR_LIVE_CHAT_MUTED: { status: 403, hint: 'The stream\'s creator muted this identity: its messages are not relayed or shown.' },
  ERR_LIVE_CHAT_KEY: { status: 403, hint: 'The message does not open with the stream\'s key: its sender may not watch the stream, or it was altered. It is not shown.' },
  ERR_LIVE_CHAT_MODERATION_STALE: { status: 409, hint: 'The node holds a newer moderation list; build the next list on top of it (a higher version).' }
} as const satisfies ErrorTable
