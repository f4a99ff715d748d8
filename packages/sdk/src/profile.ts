/**
 * Building a channel profile: the creator's public name, bio, avatar and links, signed with their
 * Ethereum account (EIP-191 over the canonical digest, see @p2pdv/core profile.ts). The avatar is
 * plain, unencrypted JPEG or PNG bytes, published on purpose; keep it small.
 */
import { avatarType, blockCid, fromHexBytes, isP2pdvError, isProfileLink, MAX_PROFILE_AVATAR_BYTES, MAX_PROFILE_BIO, MAX_PROFILE_LINK_LENGTH, MAX_PROFILE_LINKS, MAX_PROFILE_NAME, P2pdvError, profileBlock, profileDigest, ProfileErrorCode, verifyProfile, type CID, type ProfileBody, type ProfileDocument } from '@p2pdv/core'
import type { LocalAccount } from 'viem'

export const ProfileInputErrorCode = {
  AVATAR: 'ERR_PROFILE_AVATAR',
  INPUT: 'ERR_PROFILE_INPUT'
} as const

export interface ProfileInput {
  name: string
  bio?: string
  /** JPEG or PNG bytes, at most MAX_PROFILE_AVATAR_BYTES. Public: anyone can see it. */
  avatar?: Uint8Array
  /** https URLs (normalised here: `https://example.org` becomes `https://example.org/`). */
  links?: string[]
  /** Milliseconds since 1970 (default now); updates keep the original creation time. */
  createdAt?: number
  updatedAt?: number
}

function inputError (message: string): P2pdvError {
  return new P2pdvError(ProfileInputErrorCode.INPUT, message, { hint: `Names are 1–${MAX_PROFILE_NAME} characters; bios up to ${MAX_PROFILE_BIO}; at most ${MAX_PROFILE_LINKS} https links of up to ${MAX_PROFILE_LINK_LENGTH} characters.` })
}

/** A link as typed, in the normal form a profile stores; refuses anything but https. */
export function normaliseProfileLink (link: string): string {
  let href: string
  try {
    const u = new URL(link.trim())
    href = u.href
  } catch {
    throw inputError(`link "${link.slice(0, 80)}" is not a URL`)
  }
  if (!isProfileLink(href)) throw inputError(`link "${link.slice(0, 80)}" must be an https URL (no user name or password) of at most ${MAX_PROFILE_LINK_LENGTH} characters`)
  return href
}

export async function buildProfile (signer: LocalAccount, input: ProfileInput): Promise<{ profile: ProfileDocument, cid: CID, block: Uint8Array, avatar?: { cid: CID, block: Uint8Array } }> {
  let avatar: { cid: CID, block: Uint8Array } | undefined
  if (input.avatar !== undefined) {
    const b = input.avatar
    if (b.byteLength > MAX_PROFILE_AVATAR_BYTES) {
      throw new P2pdvError(ProfileInputErrorCode.AVATAR, `the avatar is ${b.byteLength} bytes, more than ${MAX_PROFILE_AVATAR_BYTES}`, { hint: 'Use a smaller image (a 256×256 JPEG is plenty).' })
    }
    if (avatarType(b) === undefined) throw new P2pdvError(ProfileInputErrorCode.AVATAR, 'the avatar is neither JPEG nor PNG', { hint: 'Convert it to JPEG or PNG.' })
    avatar = { cid: await blockCid(b), block: b }
  }
  const links = [...new Set((input.links ?? []).map(normaliseProfileLink))]
  const now = Date.now()
  const createdAt = input.createdAt ?? now
  const body: ProfileBody = {
    v: 1,
    type: 'profile',
    creator: fromHexBytes(signer.address),
    name: input.name.trim(),
    ...(input.bio === undefined || input.bio === '' ? {} : { bio: input.bio.replace(/\r\n?/g, '\n') }),
    ...(avatar === undefined ? {} : { avatar: avatar.cid }),
    links,
    createdAt,
    updatedAt: input.updatedAt ?? Math.max(now, createdAt)
  }
  let digest: Uint8Array
  try {
    digest = profileDigest(body)
  } catch (err) {
    // The creator's own input: say so, rather than blaming "a faulty client".
    if (isP2pdvError(err, ProfileErrorCode.MALFORMED)) throw inputError(err.message.replace('profile is malformed: ', 'profile: '))
    throw err
  }
  const sig = await signer.signMessage({ message: { raw: digest } })
  const profile: ProfileDocument = { ...body, sig: fromHexBytes(sig) }
  // Refuse to publish anything a reader would refuse.
  await verifyProfile(profile)
  const { cid, block } = await profileBlock(profile)
  return { profile, cid, block, ...(avatar === undefined ? {} : { avatar }) }
}
