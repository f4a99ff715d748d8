/**
 * A user's identity: an Ethereum account (secp256k1, for the chain and for signing requests) and
 * an X25519 key (for envelopes and keeper shares sealed to the user), bound together by an
 * EIP-191 signature of the account over the X25519 public key. Expressed as `did:pkh`.
 *
 * On disk an identity is one JSON file: the public parts in the clear (so `keys ls` needs no
 * passphrase) and both private keys sealed with the keystore (scrypt + AES-256-GCM). The public
 * parts are re-derived from the private keys on open and must match, so an edited file is refused.
 */
import { link, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { x25519 } from '@noble/curves/ed25519.js'
import { base64url } from 'multiformats/bases/base64'
import { getAddress, verifyMessage, type Hex, type LocalAccount } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { P2pdvError } from '@p2pdv/core'
import { DEFAULT_SCRYPT, openSecret, sealSecret, type ScryptParams, type SealedSecret } from '@p2pdv/core/keys'

export { checkNewPassphrase, estimatePassphraseBits, MIN_PASSPHRASE_BITS, MIN_PASSPHRASE_LENGTH, WEAK_PASSPHRASE } from './passphrase-strength.ts'

export const IdentityErrorCode = {
  MALFORMED: 'ERR_IDENTITY_MALFORMED',
  NOT_FOUND: 'ERR_IDENTITY_NOT_FOUND',
  EXISTS: 'ERR_IDENTITY_EXISTS',
  BAD_BINDING: 'ERR_IDENTITY_BAD_BINDING'
} as const

const SEALED_LABEL = 'identity'
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/
/** The devnet's chain id (anvil's default). */
export const DEVNET_CHAIN_ID = 31337

/** What anyone may know about an identity; published so others can seal keys to it. */
export interface PublicIdentity {
  address: Hex
  /** X25519 public key, 32 bytes. */
  x25519PublicKey: Uint8Array
  /** EIP-191 signature by `address` over `bindingMessage(address, x25519PublicKey)`. */
  binding: Hex
}

export interface Identity extends PublicIdentity {
  name: string
  /** Signs transactions, typed data and messages. */
  account: LocalAccount
  /** X25519 private key, 32 bytes. Zero it with `forget()` when done. */
  x25519PrivateKey: Uint8Array
  forget: () => void
}

interface IdentityFile {
  version: 1
  name: string
  address: Hex
  x25519PublicKey: string
  binding: Hex
  sealed: SealedSecret
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(IdentityErrorCode.MALFORMED, `identity file is malformed: ${what}`, {
    hint: 'The file is damaged or was edited; restore it from a backup or import the key again.'
  })
}

export function bindingMessage (address: Hex, x25519PublicKey: Uint8Array): string {
  return `p2pdv identity v1\naddress: ${getAddress(address)}\nx25519: ${base64url.encode(x25519PublicKey).slice(1)}`
}

export function didPkh (address: Hex, chainId = DEVNET_CHAIN_ID): string {
  return `did:pkh:eip155:${chainId}:${getAddress(address)}`
}

/** Checks that the account really vouches for the X25519 key. */
export async function verifyPublicIdentity (id: PublicIdentity): Promise<void> {
  if (id.x25519PublicKey.byteLength !== 32) throw new P2pdvError(IdentityErrorCode.BAD_BINDING, 'the X25519 public key must be 32 bytes')
  let ok = false
  try {
    ok = await verifyMessage({ address: id.address, message: bindingMessage(id.address, id.x25519PublicKey), signature: id.binding })
  } catch {}
  if (!ok) {
    throw new P2pdvError(IdentityErrorCode.BAD_BINDING, `the encryption key is not signed by ${id.address}`, {
      hint: 'Do not seal anything to this key: the published identity was forged or damaged.'
    })
  }
}

/** Builds an identity from its two private keys (fresh ones when omitted). */
export async function createIdentity (name: string, keys: { ethPrivateKey?: Hex, x25519PrivateKey?: Uint8Array } = {}): Promise<Identity> {
  if (!NAME_PATTERN.test(name)) {
    throw new P2pdvError('ERR_BAD_ARGUMENT', `identity names are 1–32 lowercase letters, digits, - or _ (got "${name.slice(0, 40)}")`)
  }
  const account = privateKeyToAccount(keys.ethPrivateKey ?? generatePrivateKey())
  const x25519PrivateKey = keys.x25519PrivateKey === undefined ? x25519.utils.randomSecretKey() : Uint8Array.from(keys.x25519PrivateKey)
  if (x25519PrivateKey.byteLength !== 32) throw new P2pdvError('ERR_BAD_ARGUMENT', 'X25519 private keys are 32 bytes')
  const x25519PublicKey = x25519.getPublicKey(x25519PrivateKey)
  const binding = await account.signMessage({ message: bindingMessage(account.address, x25519PublicKey) })
  return {
    name,
    address: account.address,
    account,
    x25519PublicKey,
    x25519PrivateKey,
    binding,
    forget: () => { x25519PrivateKey.fill(0) }
  }
}

/** The publishable part of an identity. */
export function publicIdentity (id: PublicIdentity): PublicIdentity {
  return { address: id.address, x25519PublicKey: id.x25519PublicKey, binding: id.binding }
}

/**
 * The secp256k1 private key is needed to seal it; viem's LocalAccount does not expose it, so the
 * caller passes it in (as it does when creating or importing).
 */
export async function sealIdentity (id: Identity, ethPrivateKey: Hex, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<IdentityFile> {
  if (privateKeyToAccount(ethPrivateKey).address !== id.address) throw new P2pdvError('ERR_BAD_ARGUMENT', 'the private key does not belong to this identity')
  const secret = new Uint8Array(64)
  secret.set(hexBytes(ethPrivateKey), 0)
  secret.set(id.x25519PrivateKey, 32)
  try {
    return {
      version: 1,
      name: id.name,
      address: id.address,
      x25519PublicKey: base64url.encode(id.x25519PublicKey).slice(1),
      binding: id.binding,
      sealed: await sealSecret(secret, passphrase, SEALED_LABEL, params)
    }
  } finally {
    secret.fill(0)
  }
}

function hexBytes (hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}

function parseIdentityFile (value: unknown): IdentityFile {
  if (typeof value !== 'object' || value === null) throw malformed('not an object')
  const v = value as Record<string, unknown>
  if (v.version !== 1) throw malformed('unsupported version')
  if (typeof v.name !== 'string' || !NAME_PATTERN.test(v.name)) throw malformed('name')
  if (typeof v.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v.address)) throw malformed('address')
  if (typeof v.x25519PublicKey !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.x25519PublicKey)) throw malformed('x25519PublicKey')
  if (typeof v.binding !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(v.binding)) throw malformed('binding')
  return v as unknown as IdentityFile
}

/** The public parts of an identity file, without the passphrase. */
export function readPublicIdentity (file: unknown): PublicIdentity & { name: string } {
  const f = parseIdentityFile(file)
  return { name: f.name, address: getAddress(f.address), x25519PublicKey: base64url.decode(`u${f.x25519PublicKey}`), binding: f.binding }
}

export async function openIdentity (file: unknown, passphrase: string): Promise<Identity> {
  const f = parseIdentityFile(file)
  const secret = await openSecret(f.sealed, passphrase, SEALED_LABEL)
  if (secret.byteLength !== 64) throw malformed('sealed secret has the wrong length')
  try {
    const id = await createIdentity(f.name, { ethPrivateKey: `0x${Buffer.from(secret.subarray(0, 32)).toString('hex')}`, x25519PrivateKey: secret.subarray(32) })
    const pub = readPublicIdentity(f)
    if (id.address !== pub.address || Buffer.compare(id.x25519PublicKey, pub.x25519PublicKey) !== 0) {
      id.forget()
      throw malformed('public keys do not match the sealed keys')
    }
    return id
  } finally {
    secret.fill(0)
  }
}

/** A directory of identity files, `<name>.json`, written atomically with mode 0600. */
export class IdentityStore {
  readonly dir: string

  constructor (dir: string) {
    this.dir = dir
  }

  private path (name: string): string {
    if (!NAME_PATTERN.test(name)) throw new P2pdvError('ERR_BAD_ARGUMENT', `not an identity name: "${name.slice(0, 40)}"`)
    return join(this.dir, `${name}.json`)
  }

  /** Creates (or imports, when `ethPrivateKey` is given) and saves an identity. */
  async create (name: string, passphrase: string, options: { ethPrivateKey?: Hex, scrypt?: ScryptParams } = {}): Promise<Identity> {
    const ethPrivateKey = options.ethPrivateKey ?? generatePrivateKey()
    const id = await createIdentity(name, { ethPrivateKey })
    await this.write(name, await sealIdentity(id, ethPrivateKey, passphrase, options.scrypt))
    return id
  }

  /**
   * Saves an exported identity file under `name`, after checking that it opens with
   * `passphrase` (so a damaged or foreign file is refused before it is stored).
   */
  async importFile (name: string, file: unknown, passphrase: string): Promise<Identity> {
    const renamed = { ...(parseIdentityFile(file) as unknown as Record<string, unknown>), name }
    const id = await openIdentity(renamed, passphrase)
    await this.write(name, renamed as unknown as IdentityFile)
    return id
  }

  private async write (name: string, file: IdentityFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const path = this.path(name)
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    try {
      // link() refuses an existing target atomically: never overwrite an identity.
      await link(tmp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new P2pdvError(IdentityErrorCode.EXISTS, `an identity named "${name}" already exists`, { hint: 'Choose another name.' })
      throw err
    } finally {
      await unlink(tmp)
    }
  }

  async readFile (name: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.path(name), 'utf8'))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new P2pdvError(IdentityErrorCode.NOT_FOUND, `no identity named "${name}" in ${this.dir}`, { hint: 'Create one with `p2pdv keys new NAME`, or list them with `p2pdv keys ls`.' })
      }
      if (err instanceof SyntaxError) throw malformed('not JSON')
      throw err
    }
  }

  async open (name: string, passphrase: string): Promise<Identity> {
    return await openIdentity(await this.readFile(name), passphrase)
  }

  async list (): Promise<Array<PublicIdentity & { name: string }>> {
    let names: string[]
    try {
      names = (await readdir(this.dir)).filter(f => f.endsWith('.json')).map(f => f.slice(0, -5)).filter(n => NAME_PATTERN.test(n)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const out: Array<PublicIdentity & { name: string }> = []
    for (const n of names) out.push(readPublicIdentity(await this.readFile(n)))
    return out
  }
}
