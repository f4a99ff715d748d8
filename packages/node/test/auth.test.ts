// Sign-in with Ethereum and session tokens, in process with a controllable clock.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import { SiweAuth, sessionToken } from '../src/auth.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

function setup () {
  let now = Date.UTC(2030, 0, 1)
  const auth = new SiweAuth({ chainId: 31337, domains: () => ['127.0.0.1:4000'], now: () => now })
  const account = privateKeyToAccount(generatePrivateKey())
  const message = (nonce: string, o: { expiresInMs?: number, domain?: string } = {}): string => createSiweMessage({
    address: account.address, chainId: 31337, domain: o.domain ?? '127.0.0.1:4000', nonce, uri: 'http://127.0.0.1:4000', version: '1',
    issuedAt: new Date(now), expirationTime: new Date(now + (o.expiresInMs ?? 600_000))
  })
  return { auth, account, message, tick: (ms: number) => { now += ms } }
}

describe('SIWE sessions', () => {
  it('a signed-in token verifies until it expires; a tampered one never does', async () => {
    const s = setup()
    const { nonce } = s.auth.issueNonce()
    const msg = s.message(nonce)
    const session = await s.auth.signIn(msg, await s.account.signMessage({ message: msg }))
    assert.equal(s.auth.verify(session.token)?.address, s.account.address)
    const [payload, mac] = session.token.split('.')
    const forgedPayload = Buffer.from(JSON.stringify({ v: 1, a: '0x0000000000000000000000000000000000000001', c: 31337, exp: Date.UTC(2031, 0, 1) })).toString('base64url')
    assert.equal(s.auth.verify(`${forgedPayload}.${mac!}`), undefined)
    assert.equal(s.auth.verify(`${payload!}.${Buffer.alloc(32).toString('base64url')}`), undefined)
    assert.equal(s.auth.verify('garbage'), undefined)
    // Another node (another secret) does not accept it.
    assert.equal(setup().auth.verify(session.token), undefined)
    s.tick(601_000)
    assert.equal(s.auth.verify(session.token), undefined)
  })

  it('refuses messages without expiry, asking for more than 24 h, expired nonces and used nonces', async () => {
    const s = setup()
    const noExpiry = createSiweMessage({ address: s.account.address, chainId: 31337, domain: '127.0.0.1:4000', nonce: s.auth.issueNonce().nonce, uri: 'http://127.0.0.1:4000', version: '1' })
    await assert.rejects(s.auth.signIn(noExpiry, await s.account.signMessage({ message: noExpiry })), code('ERR_SIWE_REJECTED'))
    const long = s.message(s.auth.issueNonce().nonce, { expiresInMs: 48 * 3600_000 })
    await assert.rejects(s.auth.signIn(long, await s.account.signMessage({ message: long })), code('ERR_SIWE_REJECTED'))
    const { nonce } = s.auth.issueNonce()
    s.tick(6 * 60_000)
    const late = s.message(nonce)
    await assert.rejects(s.auth.signIn(late, await s.account.signMessage({ message: late })), code('ERR_SIWE_REJECTED'))
    await assert.rejects(s.auth.signIn('x'.repeat(5000), '0x00'), code('ERR_SIWE_MALFORMED'))
  })

  it('a forged signature does not use up the nonce', async () => {
    const s = setup()
    const { nonce } = s.auth.issueNonce()
    const msg = s.message(nonce)
    const other = privateKeyToAccount(generatePrivateKey())
    await assert.rejects(s.auth.signIn(msg, await other.signMessage({ message: msg })), code('ERR_BAD_SIGNATURE'))
    assert.ok((await s.auth.signIn(msg, await s.account.signMessage({ message: msg }))).token.length > 20)
  })

  it('reads the token from a bearer header or the session cookie', () => {
    assert.equal(sessionToken({ authorization: 'Bearer abc.def' }), 'abc.def')
    assert.equal(sessionToken({ cookie: 'a=1; p2pdv_session=xyz.uvw; b=2' }), 'xyz.uvw')
    assert.equal(sessionToken({}), undefined)
  })

  it('caps open nonces per source: one sender flooding nonce requests cannot evict anyone else\'s', async () => {
    const s = setup()
    const { nonce } = s.auth.issueNonce('ip:10.0.0.2')
    const flood: string[] = []
    for (let i = 0; i < 10_050; i++) flood.push(s.auth.issueNonce('ip:10.0.0.66').nonce)
    const msg = s.message(nonce)
    const session = await s.auth.signIn(msg, await s.account.signMessage({ message: msg }))
    assert.equal(session.address, s.account.address)
    // The flooder keeps only its newest nonces open.
    const stale = s.message(flood[0]!)
    await assert.rejects(s.auth.signIn(stale, await s.account.signMessage({ message: stale })), code('ERR_SIWE_REJECTED'))
    const fresh = s.message(flood.at(-1)!)
    assert.ok((await s.auth.signIn(fresh, await s.account.signMessage({ message: fresh }))).token)
  })
})
