import type { ErrorTable } from './spec.ts'

/** Discovery: the node's index of public listings and its search API. */
export const DISCOVERY_ERRORS = {
  ERR_VIDEO_QUERY: { status: 400, hint: 'Fix the search parameter the message names (docs/openapi.yaml, GET /api/v1/videos).' },
  ERR_VIDEO_NOT_LISTED: { status: 404, hint: 'The video is private, unlisted, retired or not indexed yet; its capability link still plays it.' },
  ERR_LISTING_CREATOR_MISMATCH: { status: 400, hint: 'The listing is signed by someone other than the video\'s owner; it is not shown.' },
  ERR_LISTING_UNAVAILABLE: { status: 404, hint: 'No known node has the listing block yet; the index retries it.' },
  ERR_PROFILE_CREATOR_MISMATCH: { status: 400, hint: 'The channel profile is signed by someone other than the account pointing at it; it is not shown.' },
  ERR_PROFILE_UNAVAILABLE: { status: 404, hint: 'No known node has the channel profile block yet; the index retries it.' },
  ERR_CHANNEL_NOT_FOUND: { status: 404, hint: 'This node knows no profile and no listed video of that account; check the address, or wait for the index.' },
  // The viewer's settings in the web app (app/settings/preferences.ts): local, never on the wire.
  ERR_PIN_WRONG: { status: 403, hint: 'Type the PIN set in Settings; after 5 wrong tries it locks for a minute.' },
  ERR_PIN_LOCKED: { status: 429, hint: 'Wait a minute, then type the PIN again.' },
  ERR_PIN_FORMAT: { status: 400, hint: 'A PIN is 4 to 8 digits.' },
  // A live stream on chain rated above the viewer's limit (or whose rating cannot be read): no key is asked for.
  ERR_RATING_HIDDEN: { status: 403, hint: 'Settings can change the limit (with the PIN, if one is set).' },
  ERR_RATING_UNKNOWN: { status: 503, hint: 'Reload the page to try again; Settings can lift the limit.' }
} as const satisfies ErrorTable
