/**
 * What the nodes' disks say, read straight from their data dirs (docs: node/src/data-dir.ts):
 * the placement records each node keeps (`placements/*.cbor`) and the block files it holds
 * (`blocks/<shard>/<base32upper multihash>.data`, blockstore-fs's layout). Read at the end of a
 * run, with every node up; nothing here trusts the nodes' own answers.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { base32upper } from 'multiformats/bases/base32'
import { comparePlacement, decodePlacementRecord, placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'

export interface DiskNode { name: string, peerId: string, dataDir: string }

export interface DiskView {
  /** Per object (manifest CID), the newest record any node keeps. */
  records: Map<string, PlacementRecord>
  /** Per object, node name → the version that node keeps (to show stale copies). */
  versions: Map<string, Map<string, number>>
  /** Per node (peer id), the block files it holds, by blockKey. */
  blocks: Map<string, Set<string>>
  /** Record files that did not decode, as `node/file`. */
  unreadable: string[]
}

/** The name blockstore-fs gives a block's file (without shard dir and extension). */
export function blockKey (cid: { multihash: { bytes: Uint8Array } }): string {
  return base32upper.encode(cid.multihash.bytes)
}

async function listBlockFiles (dir: string): Promise<Set<string>> {
  const out = new Set<string>()
  const shards = await readdir(dir).catch(() => [] as string[])
  for (const shard of shards) {
    for (const f of await readdir(join(dir, shard)).catch(() => [] as string[])) {
      if (f.endsWith('.data')) out.add(f.slice(0, -'.data'.length))
    }
  }
  return out
}

export async function readDisks (nodes: DiskNode[]): Promise<DiskView> {
  const view: DiskView = { records: new Map(), versions: new Map(), blocks: new Map(), unreadable: [] }
  for (const node of nodes) {
    view.blocks.set(node.peerId, await listBlockFiles(join(node.dataDir, 'blocks')))
    const dir = join(node.dataDir, 'placements')
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      if (!f.endsWith('.cbor')) continue
      let record: PlacementRecord
      try {
        record = decodePlacementRecord(new Uint8Array(await readFile(join(dir, f))))
      } catch {
        view.unreadable.push(`${node.name}/${f}`)
        continue
      }
      const object = record.object.toString()
      const held = view.records.get(object)
      if (held === undefined || comparePlacement(record, held) > 0) view.records.set(object, record)
      const versions = view.versions.get(object) ?? new Map<string, number>()
      versions.set(node.name, record.version)
      view.versions.set(object, versions)
    }
  }
  return view
}

export interface DiskFinding {
  object: string
  block: string
  node: string
}

/**
 * Record vs disk, for the newest record of each object:
 * - phantom: a listed holder (a node of the cluster, up) has no file for the block;
 * - dropped: a node has the block on disk but the record no longer lists it (a live holder lost).
 */
export function compareRecordsWithDisk (view: DiskView, nodes: DiskNode[]): { phantom: DiskFinding[], dropped: DiskFinding[] } {
  const byPeer = new Map(nodes.map(n => [n.peerId, n]))
  const phantom: DiskFinding[] = []
  const dropped: DiskFinding[] = []
  for (const [object, record] of view.records) {
    for (const { block } of placementBlocks(record)) {
      const key = blockKey(block.cid)
      const cid = block.cid.toString()
      for (const holder of block.nodes) {
        const node = byPeer.get(holder)
        if (node !== undefined && view.blocks.get(holder)?.has(key) !== true) phantom.push({ object, block: cid, node: node.name })
      }
      for (const node of nodes) {
        if (view.blocks.get(node.peerId)?.has(key) === true && !block.nodes.includes(node.peerId)) dropped.push({ object, block: cid, node: node.name })
      }
    }
  }
  return { phantom, dropped }
}
