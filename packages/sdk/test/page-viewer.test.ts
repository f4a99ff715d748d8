// Viewer keys for the web page: the devnet page wallet, and an injected EIP-1193 wallet (a fake
// provider in front of a local account, answering as a browser wallet does).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import type { EIP1193Provider } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { generateVideoId, signKeyRequest, verifyKeyRequest } from '@p2pdv/core/keys'
import { eip1193Viewer, pageWalletViewer, PAGE_WALLET_STORAGE_KEY } from '../src/keys/index.ts'

const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

function mapStorage () {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => { m.set(k, v) }, m }
}

function fakeWallet (o: { refuseSign?: boolean, noAccounts?: boolean } = {}) {
  const account = privateKeyToAccount(generatePrivateKey())
  const calls: string[] = []
  const provider = {
    request: async ({ method, params }: { method: string, params?: unknown[] }) => {
      calls.push(method)
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return o.noAccounts === true ? [] : [account.address]
      if (method === 'eth_chainId') return '0x7a69'
      if (method === 'eth_signTypedData_v4') {
        if (o.refuseSign === true) throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
        const [from, json] = params as [string, string]
        assert.equal(from.toLowerCase(), account.address.toLowerCase())
        return await account.signTypedData(JSON.parse(json))
      }
      throw new Error(`unexpected ${method}`)
    }
  } as unknown as EIP1193Provider
  return { account, provider, calls }
}

describe('viewer keys in a page', () => {
  it('the devnet page wallet keeps its address across page loads; the X25519 key is fresh each time', () => {
    const storage = mapStorage()
    const a = pageWalletViewer(storage, 31337)
    const b = pageWalletViewer(storage, 31337)
    assert.equal(a.address, b.address)
    assert.match(storage.m.get(PAGE_WALLET_STORAGE_KEY)!, /^0x[0-9a-f]{64}$/)
    assert.notDeepEqual(a.x25519PublicKey, b.x25519PublicKey)
    assert.deepEqual(a.x25519PublicKey, x25519.getPublicKey(a.x25519PrivateKey))
    storage.setItem(PAGE_WALLET_STORAGE_KEY, 'garbage')
    assert.notEqual(pageWalletViewer(storage, 31337).address, a.address)
  })

  it('keeps no page wallet on chains that are not dev chains: ERR_NO_WALLET, nothing stored', () => {
    const storage = mapStorage()
    for (const chainId of [1, 8453, 11155111]) assert.throws(() => pageWalletViewer(storage, chainId), { code: 'ERR_NO_WALLET' })
    assert.equal(storage.m.size, 0)
    assert.ok(pageWalletViewer(storage, 1337).address)
  })

  it('an injected wallet signs the key request with eth_signTypedData_v4, and keepers verify it', async () => {
    const w = fakeWallet()
    const viewer = await eip1193Viewer(w.provider)
    assert.equal(viewer.address, w.account.address)
    const req = await signKeyRequest(viewer.account, { domain, video: generateVideoId(), viewerKey: viewer.x25519PublicKey })
    assert.equal(req.viewer, w.account.address)
    await verifyKeyRequest(req, { domain, now: Math.floor(Date.now() / 1000) })
    assert.ok(w.calls.includes('eth_signTypedData_v4'))
  })

  it('a wallet that refuses to share an account or to sign is ERR_WALLET_REFUSED', async () => {
    await assert.rejects(eip1193Viewer(fakeWallet({ noAccounts: true }).provider), (e: { code: string }) => e.code === 'ERR_WALLET_REFUSED')
    const viewer = await eip1193Viewer(fakeWallet({ refuseSign: true }).provider)
    await assert.rejects(signKeyRequest(viewer.account, { domain, video: generateVideoId(), viewerKey: viewer.x25519PublicKey }), (e: { code: string }) => e.code === 'ERR_WALLET_REFUSED')
  })
})
