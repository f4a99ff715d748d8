/** What a person is told for each failure: a title, the stable code, and what to do next. */
import { P2pdvError } from '@p2pdv/core/errors'

export interface UserError {
  code: string
  title: string
  detail: string
  hint: string
}

const TITLES: Record<string, string> = {
  ERR_BAD_CAPABILITY: 'This link is not complete',
  ERR_KEY_MISSING: 'This link has no key',
  ERR_CHUNK_AUTH: 'The key in this link does not open this video',
  ERR_BLOCK_UNAVAILABLE: 'No node could serve part of this video',
  ERR_PEERS_UNAVAILABLE: 'This node cannot reach the network',
  ERR_NOT_A_VIDEO: 'This link is a file, not a video',
  ERR_MANIFEST_MALFORMED: 'This video is damaged',
  ERR_MANIFEST_UNSUPPORTED: 'This video needs a newer player',
  ERR_PLAINTEXT_SIZE_MISMATCH: 'This video is damaged',
  ERR_MEDIA_UNSUPPORTED: 'This browser cannot play the video',
  ERR_PLAYBACK: 'The video stopped playing',
  ERR_BAD_LINK: 'This page does not name a video',
  ERR_ACCESS_DENIED: 'You do not have access to this video',
  ERR_KEEPERS_UNAVAILABLE: 'Too few key keepers answered',
  ERR_NO_KEEPERS: 'No key keepers hold this video',
  ERR_NO_CHAIN: 'This node cannot look the video up',
  ERR_VIDEO_UNKNOWN: 'This video is not registered',
  ERR_WALLET_REFUSED: 'Your wallet did not sign',
  ERR_KEY_FINGERPRINT_MISMATCH: 'The key does not match this video'
}

export function userError (err: unknown): UserError {
  const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_INTERNAL', (err as Error)?.message ?? String(err))
  return {
    code: e.code,
    title: TITLES[e.code] ?? 'Something went wrong',
    detail: e.message,
    hint: e.hint ?? 'Reload the page. If it keeps happening, the nodes holding this video may be offline.'
  }
}
