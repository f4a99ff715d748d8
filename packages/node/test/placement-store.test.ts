// The placement store's acceptance rules on a real temp directory: updates after version 1 come
// only from the owner or from a node the current version lists as a holder.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import pino from 'pino'
import { blockCid, generateContentKey } from '@p2pdv/core'
import { comparePlacement, encodePlacementRecord, placementOwnerKey, PlacementErrorCode, signPlacementRecord, type BlockPlacement, type PlacementRecord } from '@p2pdv/core/placement'
import { PlacementStore, PlacementStoreErrorCode } from '../src/placement-store.ts'

describe('placement store: who may publish a new version', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-placements-'))
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  const holderKey = await generateKeyPair('Ed25519')
  const strangerKey = await generateKeyPair('Ed25519')
  const holder = peerIdFromPrivateKey(holderKey).toString()
  const stranger = peerIdFromPrivateKey(strangerKey).toString()
  const me = '12D3KooWLRPJAA5o6aHxgB5sMQSHa4dPjmqmW5Mce9L2X3Yd6FwB'
  const owner = placementOwnerKey(generateContentKey())
  const bytes = [new Uint8Array([1]), new Uint8Array([2])]
  const placed = async (b: Uint8Array, nodes: string[]): Promise<BlockPlacement> => ({ cid: await blockCid(b), size: b.byteLength, root: new Uint8Array(32), nodes })
  const v1 = await signPlacementRecord({
    v: 1,
    object: await blockCid(bytes[0]!),
    version: 1,
    time: 1_700_000_000_000,
    scheme: { type: 'replicas', replicas: 2 },
    manifest: await placed(bytes[0]!, [me, holder]),
    stripes: [{ data: 1, blocks: [await placed(bytes[1]!, [me, holder])] }],
    owner: owner.publicKey
  }, owner.publicKey, owner.sign)
  const store = new PlacementStore({ dir, peerId: me, has: async () => true, log: pino({ level: 'silent' }) })
  await store.open()
  await store.put(v1.object, encodePlacementRecord(v1))

  /** Version n with `me` dropped from every block, signed by `key`. */
  const update = async (version: number, key: typeof holderKey): Promise<PlacementRecord> => await signPlacementRecord({
    ...v1,
    version,
    manifest: { ...v1.manifest, nodes: [holder, stranger] },
    stripes: v1.stripes.map(s => ({ ...s, blocks: s.blocks.map(b => ({ ...b, nodes: [holder, stranger] })) }))
  }, key.publicKey.raw, async p => await key.sign(p))

  it('refuses an update signed by a node that holds nothing of the object', async () => {
    await assert.rejects(store.put(v1.object, encodePlacementRecord(await update(2, strangerKey))), { code: PlacementStoreErrorCode.NOT_A_HOLDER })
    assert.equal(store.get(v1.object.toString())?.version, 1)
  })

  it('accepts one signed by a current holder, and one signed by the owner', async () => {
    assert.deepEqual(await store.put(v1.object, encodePlacementRecord(await update(2, holderKey))), { version: 2, stored: true })
    // The stranger is a holder now (version 2 lists it), so it may publish version 3.
    assert.equal((await store.put(v1.object, encodePlacementRecord(await update(3, strangerKey)))).version, 3)
    const byOwner = await signPlacementRecord({ ...v1, version: 4 }, owner.publicKey, owner.sign)
    assert.equal((await store.put(v1.object, encodePlacementRecord(byOwner))).version, 4)
  })

  it('between two records of one version (two repairs at once), keeps the tie\'s winner whichever arrives first', async () => {
    // Version 4 lists both; then each wrote version 5 taking the other for down, so each dropped
    // the other: neither signer is a holder in the other's version 5, only in version 4.
    const only = async (node: string, key: typeof holderKey): Promise<PlacementRecord> => await signPlacementRecord({
      ...v1,
      version: 5,
      manifest: { ...v1.manifest, nodes: [node, me] },
      stripes: v1.stripes.map(s => ({ ...s, blocks: s.blocks.map(b => ({ ...b, nodes: [node, me] })) }))
    }, key.publicKey.raw, async p => await key.sign(p))
    const a = await only(holder, holderKey)
    const b = await only(stranger, strangerKey)
    const [winner, loser] = comparePlacement(a, b) > 0 ? [a, b] : [b, a]
    const hex = (sig: Uint8Array | undefined): string => Buffer.from(sig ?? []).toString('hex')
    for (const [first, second] of [[loser, winner], [winner, loser]] as const) {
      const d = await mkdtemp(join(tmpdir(), 'p2pdv-placements-tie-'))
      try {
        const s = new PlacementStore({ dir: d, peerId: me, has: async () => true, log: pino({ level: 'silent' }) })
        await s.open()
        await s.put(v1.object, encodePlacementRecord(v1))
        await s.put(v1.object, encodePlacementRecord(await update(4, holderKey)))
        await s.put(v1.object, encodePlacementRecord(first))
        // The other copy arrives after a restart: what authorizes it (version 4) is read from disk.
        const again = new PlacementStore({ dir: d, peerId: me, has: async () => true, log: pino({ level: 'silent' }) })
        await again.open()
        if (second === winner) assert.deepEqual(await again.put(v1.object, encodePlacementRecord(second)), { version: 5, stored: true })
        else await assert.rejects(again.put(v1.object, encodePlacementRecord(second)), { code: PlacementErrorCode.STALE })
        assert.equal(hex(again.get(v1.object.toString())?.sig), hex(winner.sig))
        // A stranger to version 4 may not take part in the tie, even with a winning signature.
        let forged: PlacementRecord
        do {
          const outsider = await generateKeyPair('Ed25519')
          forged = await only(peerIdFromPrivateKey(outsider).toString(), outsider)
        } while (comparePlacement(forged, winner) <= 0)
        await assert.rejects(again.put(v1.object, encodePlacementRecord(forged)), { code: PlacementStoreErrorCode.NOT_A_HOLDER })
      } finally {
        await rm(d, { recursive: true, force: true })
      }
    }
  })
})
