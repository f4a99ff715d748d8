import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { createIdentity, didPkh, IdentityErrorCode, IdentityStore, publicIdentity, verifyPublicIdentity } from '@p2pdv/chain/identity'
import { KeystoreErrorCode } from '@p2pdv/core/keys'

const FAST = { N: 2 ** 10, r: 8, p: 1 }
const ANVIL_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const

describe('identity', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pdv-id-'))
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  const store = new IdentityStore(dir)

  it('binds an X25519 key to the account, verifiably; a swapped key is refused', async () => {
    const id = await createIdentity('alice')
    await verifyPublicIdentity(publicIdentity(id))
    assert.deepEqual(x25519.getPublicKey(id.x25519PrivateKey), id.x25519PublicKey)
    const mallory = await createIdentity('mallory')
    await assert.rejects(verifyPublicIdentity({ ...publicIdentity(id), x25519PublicKey: mallory.x25519PublicKey }), { code: IdentityErrorCode.BAD_BINDING })
    assert.match(didPkh(id.address), /^did:pkh:eip155:31337:0x[0-9a-fA-F]{40}$/)
  })

  it('imports a known key, seals it (0600, nothing in the clear) and opens it again', async () => {
    const id = await store.create('dev', 'pw', { ethPrivateKey: ANVIL_0, scrypt: FAST })
    assert.equal(id.address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    const path = join(dir, 'dev.json')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const text = await readFile(path, 'utf8')
    assert.ok(!text.includes(ANVIL_0.slice(2)))
    assert.ok(!text.includes(Buffer.from(id.x25519PrivateKey).toString('hex')))
    const again = await store.open('dev', 'pw')
    assert.equal(again.address, id.address)
    assert.deepEqual(again.x25519PrivateKey, id.x25519PrivateKey)
    assert.deepEqual((await store.list()).map(i => i.name), ['dev'])
    await assert.rejects(store.open('dev', 'wrong'), { code: KeystoreErrorCode.WRONG_PASSPHRASE })
    await assert.rejects(store.create('dev', 'pw', { scrypt: FAST }), { code: IdentityErrorCode.EXISTS })
    assert.equal((await store.open('dev', 'pw')).address, id.address, 'a refused create leaves the original intact')
  })

  it('refuses an edited public part and names a missing identity', async () => {
    await store.create('bob', 'pw', { scrypt: FAST })
    const file = JSON.parse(await readFile(join(dir, 'bob.json'), 'utf8'))
    file.address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    await writeFile(join(dir, 'bob.json'), JSON.stringify(file))
    await assert.rejects(store.open('bob', 'pw'), { code: IdentityErrorCode.MALFORMED })
    await assert.rejects(store.open('carol', 'pw'), { code: IdentityErrorCode.NOT_FOUND })
    await assert.rejects(store.create('Bad Name', 'pw'), { code: 'ERR_BAD_ARGUMENT' })
  })
})
