/**
 * Sealed secrets at rest (wallet keys, node identity keys, keeper shares): scrypt derives a
 * key-encryption key from a passphrase, AES-256-GCM seals the secret, and the label is bound as
 * associated data so a sealed node key cannot be passed off as a wallet key. The format is
 * versioned JSON, so it can be stored as a file and inspected without revealing anything.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { bytesToHex, hexToBytes, randomBytes } from '@noble/ciphers/utils.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { P2pdvError } from '../errors.ts'

export const KeystoreErrorCode = {
  MALFORMED: 'ERR_KEYSTORE_MALFORMED',
  WRONG_PASSPHRASE: 'ERR_KEYSTORE_WRONG_PASSPHRASE',
  WRONG_LABEL: 'ERR_KEYSTORE_WRONG_LABEL'
} as const

export interface ScryptParams { N: number, r: number, p: number }

/** Interactive-login strength (about 100 ms in Node). Tests may pass lighter params. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }
const MAX_SCRYPT_N = 2 ** 20

export interface SealedSecret {
  version: 1
  label: string
  kdf: 'scrypt'
  kdfparams: ScryptParams & { salt: string }
  cipher: 'aes-256-gcm'
  nonce: string
  ciphertext: string
}

const enc = new TextEncoder()

async function deriveKek (passphrase: string, salt: Uint8Array, p: ScryptParams): Promise<Uint8Array> {
  return await scryptAsync(enc.encode(passphrase.normalize('NFKC')), salt, { ...p, dkLen: 32, maxmem: 2 ** 31 })
}

export async function sealSecret (secret: Uint8Array, passphrase: string, label: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<SealedSecret> {
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const kek = await deriveKek(passphrase, salt, params)
  const ciphertext = gcm(kek, nonce, enc.encode(`p2pdv/keystore/v1/${label}`)).encrypt(secret)
  kek.fill(0)
  return {
    version: 1,
    label,
    kdf: 'scrypt',
    kdfparams: { ...params, salt: bytesToHex(salt) },
    cipher: 'aes-256-gcm',
    nonce: bytesToHex(nonce),
    ciphertext: bytesToHex(ciphertext)
  }
}

function malformed (what: string): P2pdvError {
  return new P2pdvError(KeystoreErrorCode.MALFORMED, `sealed secret is malformed: ${what}`, {
    hint: 'The keystore file is damaged or not a p2pdv keystore; restore it from a backup.'
  })
}

const HEX = /^[0-9a-f]*$/

function hex (value: unknown, what: string, len?: number): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value) || value.length % 2 !== 0 || value.length > 8192) throw malformed(what)
  const bytes = hexToBytes(value)
  if (len !== undefined && bytes.length !== len) throw malformed(what)
  return bytes
}

function int (value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) throw malformed(what)
  return value
}

/** Checks the shape of untrusted JSON before any work is spent on it. */
export function parseSealedSecret (value: unknown): SealedSecret {
  if (typeof value !== 'object' || value === null) throw malformed('not an object')
  const v = value as Record<string, unknown>
  if (v.version !== 1) throw malformed('unsupported version')
  if (v.kdf !== 'scrypt' || v.cipher !== 'aes-256-gcm') throw malformed('unsupported algorithm')
  if (typeof v.label !== 'string' || v.label.length > 64) throw malformed('label')
  const k = v.kdfparams as Record<string, unknown> | undefined
  if (typeof k !== 'object' || k === null) throw malformed('kdfparams')
  const N = int(k.N, 'kdfparams.N', MAX_SCRYPT_N)
  if ((N & (N - 1)) !== 0 || N < 2) throw malformed('kdfparams.N must be a power of two')
  const params = { N, r: int(k.r, 'kdfparams.r', 32), p: int(k.p, 'kdfparams.p', 16) }
  hex(k.salt, 'kdfparams.salt', 16)
  hex(v.nonce, 'nonce', 12)
  hex(v.ciphertext, 'ciphertext')
  return { version: 1, label: v.label, kdf: 'scrypt', kdfparams: { ...params, salt: k.salt as string }, cipher: 'aes-256-gcm', nonce: v.nonce as string, ciphertext: v.ciphertext as string }
}

export async function openSecret (sealed: unknown, passphrase: string, label: string): Promise<Uint8Array> {
  const s = parseSealedSecret(sealed)
  if (s.label !== label) {
    throw new P2pdvError(KeystoreErrorCode.WRONG_LABEL, `this keystore holds a "${s.label}" key, not a "${label}" key`, {
      hint: 'Point the command at the right keystore file.'
    })
  }
  const { salt, ...params } = s.kdfparams
  const kek = await deriveKek(passphrase, hex(salt, 'salt', 16), params)
  try {
    return gcm(kek, hex(s.nonce, 'nonce', 12), enc.encode(`p2pdv/keystore/v1/${label}`)).decrypt(hex(s.ciphertext, 'ciphertext'))
  } catch (cause) {
    throw new P2pdvError(KeystoreErrorCode.WRONG_PASSPHRASE, 'cannot open the keystore: wrong passphrase or damaged file', {
      hint: 'Check the passphrase (P2PDV_PASSPHRASE or --passphrase-file).', cause
    })
  } finally {
    kek.fill(0)
  }
}
