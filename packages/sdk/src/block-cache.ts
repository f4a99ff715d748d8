/**
 * A local store of ciphertext blocks (for offline playback): one file per block, named by CID,
 * written atomically, verified against the CID on every read like any other source.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyBlock, type CID } from '@p2pdv/core'

export class BlockCache {
  readonly dir: string

  constructor (dir: string) { this.dir = dir }

  private path (cid: CID): string {
    const s = cid.toString()
    return join(this.dir, s.slice(-3), s)
  }

  async get (cid: CID): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array
    try { bytes = new Uint8Array(await readFile(this.path(cid))) } catch { return undefined }
    try {
      await verifyBlock(cid, bytes)
      return bytes
    } catch {
      return undefined // a damaged copy is ignored; the network has the block
    }
  }

  async put (cid: CID, bytes: Uint8Array): Promise<void> {
    const path = this.path(cid)
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, bytes, { mode: 0o600 })
    await rename(tmp, path)
  }
}
