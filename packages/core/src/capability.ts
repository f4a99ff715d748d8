/**
 * A capability names an object and carries the key to read it:
 *
 *   p2pdv://<manifest CID, base32>#<content key, base64url without padding>
 *
 * The key sits in the URL fragment, which browsers never send to a server. Errors never echo it.
 */
import { base64url } from 'multiformats/bases/base64'
import { CID } from './cid.ts'
import { parseCid } from './cid.ts'
import { P2pdvError } from './errors.ts'
import { KEY_BYTES } from './sealed.ts'

export const CAPABILITY_SCHEME = 'p2pdv://'
export const MAX_CAPABILITY_LENGTH = 256

export const CapabilityErrorCode = { BAD_CAPABILITY: 'ERR_BAD_CAPABILITY' } as const

export interface Capability {
  manifest: CID
  key: Uint8Array
}

export function formatCapability (cap: Capability): string {
  if (cap.key.byteLength !== KEY_BYTES) throw bad('the key must be 32 bytes')
  // multiformats' base64url encoder prefixes the multibase code 'u'; drop it.
  return `${CAPABILITY_SCHEME}${cap.manifest.toString()}#${base64url.encode(cap.key).slice(1)}`
}

function bad (why: string): P2pdvError {
  return new P2pdvError(CapabilityErrorCode.BAD_CAPABILITY, `not a valid capability: ${why}`, {
    hint: 'A capability looks like p2pdv://bafkrei…#… — copy it completely, including the part after #.'
  })
}

export function parseCapability (text: string): Capability {
  const s = text.trim()
  if (s.length > MAX_CAPABILITY_LENGTH) throw bad('too long')
  if (!s.startsWith(CAPABILITY_SCHEME)) throw bad(`it must start with ${CAPABILITY_SCHEME}`)
  const hash = s.indexOf('#')
  if (hash < 0) throw bad('the key (the part after #) is missing')
  const cidText = s.slice(CAPABILITY_SCHEME.length, hash)
  const keyText = s.slice(hash + 1)
  let manifest: CID
  try {
    manifest = parseCid(cidText)
  } catch {
    throw bad('the object id is not a valid CID')
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(keyText)) throw bad('the key is not 32 bytes of base64url')
  let key: Uint8Array
  try {
    key = base64url.decode(`u${keyText}`)
  } catch {
    throw bad('the key is not valid base64url')
  }
  if (key.byteLength !== KEY_BYTES) throw bad('the key is not 32 bytes')
  return { manifest, key }
}
