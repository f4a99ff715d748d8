/**
 * What a node keeps on disk, as components in the order they open: the data dir and its identity
 * (nothing to close), the verified blockstore, the LevelDB datastore (it locks its directory until
 * closed, which is why a failed start must close it), and the upload ledger.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LevelDatastore } from 'datastore-level'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { loadIdentity, prepareDataDir, type DataDirLayout } from '../data-dir.ts'
import { Resource } from '../lifecycle.ts'
import type { NodeMetrics } from '../metrics.ts'
import { openAdmission, UploadGate } from '../upload-gate.ts'
import { VerifiedBlockstore } from '../verified-blockstore.ts'

export interface NodeDisk {
  dir: DataDirLayout
  privateKey: PrivateKey
  peerId: string
}

/** The data dir (format checked, created on first start) and the sealed identity key. */
export function diskComponent (root: string, passphrase: string): Resource<NodeDisk> {
  return new Resource('data dir', async () => {
    const dir = await prepareDataDir(root)
    const privateKey = await loadIdentity(dir, passphrase)
    return { dir, privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() }
  })
}

export function blockstoreComponent (disk: Resource<NodeDisk>, metrics: NodeMetrics, log: Logger): Resource<VerifiedBlockstore> {
  return new Resource('blockstore', async () => {
    const blockstore = new VerifiedBlockstore(disk.value.dir.blocks, disk.value.dir.quarantine, metrics, log)
    await blockstore.open()
    return blockstore
  }, async b => { await b.close() })
}

/** libp2p's peer store and Helia's datastore (LevelDB). */
export function datastoreComponent (disk: Resource<NodeDisk>): Resource<LevelDatastore> {
  return new Resource('datastore', async () => {
    const datastore = new LevelDatastore(disk.value.dir.datastore)
    await datastore.open()
    return datastore
  }, async d => { await d.close() })
}

/** Uploads carry signed grants; what each identity stored is kept in `uploads.json` (upload-gate.ts). */
export function uploadGateComponent (disk: Resource<NodeDisk>, identityQuotaBytes: number, log: Logger): Resource<UploadGate> {
  return new Resource('upload gate', async () => {
    const gate = new UploadGate({ peerId: disk.value.peerId, policy: openAdmission, identityQuotaBytes, ledgerFile: join(disk.value.dir.root, 'uploads.json'), log })
    await gate.open()
    return gate
  }, async g => { await g.close() })
}
