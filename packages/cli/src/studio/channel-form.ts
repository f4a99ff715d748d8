/**
 * The studio's channel form: what the page sends to change the creator's profile, checked with
 * @p2pdv/core's own limits and link rule (profile.ts) before `p2pdv channel set` runs with it,
 * so the page hears about a bad field at once, with the code the CLI would give (ERR_PROFILE_INPUT).
 */
import { avatarType, isProfileLink, MAX_PROFILE_AVATAR_BYTES, MAX_PROFILE_BIO, MAX_PROFILE_LINK_LENGTH, MAX_PROFILE_LINKS, MAX_PROFILE_NAME } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { bad, text } from './upload-job.ts'

export interface ChannelRequest {
  name?: string
  bio?: string
  /** Normalised https links; [] removes them all. */
  links?: string[]
  /** The id of an avatar the studio received (PUT /api/channel/avatar). */
  avatar?: string
}

function input (message: string): P2pdvError {
  return new P2pdvError('ERR_PROFILE_INPUT', message, { hint: 'Fix the channel field the message names and save again.' })
}

/** A link as the WHATWG parser prints it, if it is one a profile may hold (core's isProfileLink). */
function link (v: unknown, i: number): string {
  if (typeof v !== 'string' || v.length > MAX_PROFILE_LINK_LENGTH * 2) throw input(`link ${i + 1} must be an https URL of at most ${MAX_PROFILE_LINK_LENGTH} characters`)
  let href = v.trim()
  if (URL.canParse(href)) href = new URL(href).href
  if (!isProfileLink(href)) throw input(`link ${i + 1} "${v.slice(0, 60)}" must be an https URL (no user name or password) of at most ${MAX_PROFILE_LINK_LENGTH} characters`)
  return href
}

/** Checks a channel form; throws ERR_BAD_REQUEST (shape) or ERR_PROFILE_INPUT (a field past core's limits). */
export function parseChannelRequest (body: unknown): ChannelRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object')
  const b = body as Record<string, unknown>
  const extra = Object.keys(b).find(k => !['name', 'bio', 'links', 'avatar'].includes(k))
  if (extra !== undefined) throw bad(`unknown field "${extra.slice(0, 40)}"`)
  const out: ChannelRequest = {}
  if (b.name !== undefined) {
    if (typeof b.name !== 'string') throw bad('name must be text')
    const name = b.name.trim()
    if (name === '' || name.length > MAX_PROFILE_NAME || /[\u0000-\u001f\u007f]/.test(name)) throw input(`name must be 1–${MAX_PROFILE_NAME} characters on one line`)
    out.name = name
  }
  if (b.bio !== undefined) {
    if (typeof b.bio === 'string' && b.bio.length > MAX_PROFILE_BIO) throw input(`bio is longer than ${MAX_PROFILE_BIO} characters`)
    out.bio = text(b.bio, 'bio', MAX_PROFILE_BIO, false) ?? ''
  }
  if (b.links !== undefined) {
    if (!Array.isArray(b.links)) throw bad('links must be a list')
    if (b.links.length > MAX_PROFILE_LINKS) throw input(`a channel has at most ${MAX_PROFILE_LINKS} links, not ${b.links.length}`)
    const links = b.links.map(link)
    if (new Set(links).size !== links.length) throw input('a link is listed twice')
    out.links = links
  }
  if (b.avatar !== undefined) {
    if (typeof b.avatar !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(b.avatar)) throw bad('avatar is not an id the studio gave')
    out.avatar = b.avatar
  }
  if (Object.keys(out).length === 0) throw bad('nothing to change: give a name, bio, links or avatar')
  return out
}

/** Refuses avatar bytes that are not a JPEG or PNG (by magic number, core's avatarType) of at most core's size. */
export function checkAvatar (head: Uint8Array, bytes: number): void {
  if (bytes > MAX_PROFILE_AVATAR_BYTES) throw new P2pdvError('ERR_BODY_TOO_LARGE', `the avatar is ${bytes} bytes, more than ${MAX_PROFILE_AVATAR_BYTES}`, { hint: 'Use a smaller image (a 256×256 JPEG is plenty).' })
  if (avatarType(head) === undefined) throw new P2pdvError('ERR_PROFILE_AVATAR', 'the avatar is neither a JPEG nor a PNG', { hint: 'Pick a JPEG or PNG image of at most 256 KiB.' })
}

/**
 * The `p2pdv channel set` arguments, `--flag=value` so no value is read as a flag; `--no-links`
 * when the form empties the list (a list of no `--link` would keep the old ones).
 */
export function channelArgv (req: ChannelRequest, avatarPath: string | undefined): string[] {
  return [
    ...(req.name === undefined ? [] : [`--name=${req.name}`]),
    ...(req.bio === undefined ? [] : [`--bio=${req.bio}`]),
    ...(req.links === undefined ? [] : req.links.length === 0 ? ['--no-links'] : req.links.map(l => `--link=${l}`)),
    ...(avatarPath === undefined ? [] : [`--avatar=${avatarPath}`])
  ]
}
