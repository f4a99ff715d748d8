/**
 * A keeper's keys. With a chain, they are the node's wallet (the NodeRegistry lists its address
 * and X25519 key, so viewers check releases against the registry). Without one (tests with the
 * file oracle), the keeper's own keys, created on its first start with `--keeper` and sealed at
 * rest with the node's passphrase (scrypt + AES-256-GCM, label "keeper-keys") in `keeper/keys.json`:
 * an Ethereum account (signs releases and log heads, anchors the log, is what the NodeRegistry
 * lists) and an X25519 key (creators seal shares to it). Deposited shares stay HPKE-sealed to the
 * X25519 key on disk, so they are as safe at rest as this file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { x25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from 'viem/accounts'
import { P2pdvError } from '@p2pdv/core/errors'
import { openSecret, sealSecret, type ScryptParams } from '@p2pdv/core/keys'

export const KEEPER_KEYS_LABEL = 'keeper-keys'

export interface KeeperKeys {
  account: LocalAccount
  x25519: { publicKey: Uint8Array, privateKey: Uint8Array }
}

export async function loadKeeperKeys (dir: string, passphrase: string, scrypt?: ScryptParams): Promise<KeeperKeys> {
  const path = join(dir, 'keys.json')
  let text: string | undefined
  try { text = await readFile(path, 'utf8') } catch { text = undefined }
  let secret: Uint8Array
  if (text === undefined) {
    secret = new Uint8Array(64)
    secret.set(Buffer.from(generatePrivateKey().slice(2), 'hex'), 0)
    secret.set(x25519.utils.randomSecretKey(), 32)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(await sealSecret(secret, passphrase, KEEPER_KEYS_LABEL, scrypt), null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, path)
  } else {
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch (cause) {
      throw new P2pdvError('ERR_DATA_DIR', `${path} is not valid JSON`, { hint: 'Restore it from a backup: the shares this keeper holds are sealed to these keys.', cause })
    }
    secret = await openSecret(parsed, passphrase, KEEPER_KEYS_LABEL)
    if (secret.byteLength !== 64) throw new P2pdvError('ERR_DATA_DIR', `${path} holds a key of the wrong length`)
  }
  try {
    const account = privateKeyToAccount(`0x${bytesToHex(secret.subarray(0, 32))}`)
    const privateKey = secret.slice(32)
    return { account, x25519: { privateKey, publicKey: x25519.getPublicKey(privateKey) } }
  } finally {
    secret.fill(0)
  }
}
