/**
 * The node's directory: `VERSION` (on-disk format, checked at every start), `identity.json`
 * (the libp2p identity key, sealed), `blocks/` (blockstore-fs), `datastore/` (LevelDB),
 * `quarantine/` (blocks that failed verification on read), `placements/` (placement records this
 * node keeps, one DAG-CBOR file per object), `ports.json` (the ports it bound, bound again on the
 * next start: ports.ts).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { P2pdvError } from '@p2pdv/core/errors'
import { openSecret, sealSecret, type ScryptParams } from '@p2pdv/core/keys'

export const DATA_FORMAT_VERSION = 1
export const IDENTITY_LABEL = 'node-identity'

export const DataDirErrorCode = {
  VERSION_MISMATCH: 'ERR_DATA_VERSION',
  UNREADABLE: 'ERR_DATA_DIR'
} as const

export interface DataDirLayout {
  root: string
  blocks: string
  datastore: string
  quarantine: string
  placements: string
  identity: string
  version: string
}

export function layout (root: string): DataDirLayout {
  return {
    root,
    blocks: join(root, 'blocks'),
    datastore: join(root, 'datastore'),
    quarantine: join(root, 'quarantine'),
    placements: join(root, 'placements'),
    identity: join(root, 'identity.json'),
    version: join(root, 'VERSION')
  }
}

async function writeAtomic (path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data, { mode: 0o600 })
  await rename(tmp, path)
}

/** Creates the directory on first start; refuses one written by another format version. */
export async function prepareDataDir (root: string): Promise<DataDirLayout> {
  const l = layout(root)
  await mkdir(root, { recursive: true, mode: 0o700 })
  let text: string | undefined
  try { text = await readFile(l.version, 'utf8') } catch { text = undefined }
  if (text === undefined) {
    await writeAtomic(l.version, JSON.stringify({ format: DATA_FORMAT_VERSION }) + '\n')
  } else {
    let format: unknown
    try { format = (JSON.parse(text) as { format?: unknown }).format } catch { format = undefined }
    if (format !== DATA_FORMAT_VERSION) {
      throw new P2pdvError(DataDirErrorCode.VERSION_MISMATCH, `${root} holds on-disk format ${String(format)}, this node reads format ${DATA_FORMAT_VERSION}`, {
        hint: 'Run the p2pdv version that wrote this directory, or start with a new --data directory.'
      })
    }
  }
  await Promise.all([l.blocks, l.datastore, l.quarantine, l.placements].map(async d => await mkdir(d, { recursive: true, mode: 0o700 })))
  return l
}

/** Loads the sealed identity key, or creates and seals one on first start. */
export async function loadIdentity (l: DataDirLayout, passphrase: string, scrypt?: ScryptParams): Promise<PrivateKey> {
  let text: string | undefined
  try { text = await readFile(l.identity, 'utf8') } catch { text = undefined }
  if (text === undefined) {
    const key = await generateKeyPair('Ed25519')
    const sealed = await sealSecret(privateKeyToProtobuf(key), passphrase, IDENTITY_LABEL, scrypt)
    await writeAtomic(l.identity, JSON.stringify(sealed, null, 2) + '\n')
    return key
  }
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch (cause) {
    throw new P2pdvError(DataDirErrorCode.UNREADABLE, `${l.identity} is not valid JSON`, { hint: 'Restore it from a backup; without it the node has a new identity.', cause })
  }
  const bytes = await openSecret(parsed, passphrase, IDENTITY_LABEL)
  try {
    return privateKeyFromProtobuf(bytes)
  } finally {
    bytes.fill(0)
  }
}
