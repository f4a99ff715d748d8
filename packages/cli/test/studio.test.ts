// The studio's checks without a network: form validation, the upload arguments a form becomes
// (no value can turn into a flag), and the token/Host/Origin guard.
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { isP2pdvError } from '@p2pdv/core/errors'
import { parseCommandArgs } from '../src/command.ts'
import { upload } from '../src/commands/upload.ts'
import { newStudioToken, studioGuard } from '../src/studio/guard.ts'
import { parseUploadRequest, uploadArgv } from '../src/studio/upload-job.ts'

const FILE = 'abcdefghijkl'

function code (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return isP2pdvError(err) ? err.code : 'not a P2pdvError' }
  return undefined
}

function req (headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage
}

describe('studio upload forms', () => {
  it('accepts a full form and turns it into the upload command\'s flags', () => {
    const form = parseUploadRequest({ file: FILE, title: ' Harbour ', description: 'Boats', tags: ['sea', ' dusk '], access: 'paid', price: '0.01', duration: '48h', rating: 2 })
    assert.deepEqual(form, { file: FILE, title: 'Harbour', description: 'Boats', tags: ['sea', 'dusk'], access: 'paid', price: '0.01', duration: '48h', rating: 2, force: false })
    const args = parseCommandArgs(upload, uploadArgv(form, '/tmp/x.src', ['--as=alice']))
    assert.deepEqual(args.positionals, ['/tmp/x.src'])
    assert.equal(args.values.title, 'Harbour')
    assert.equal(args.values.tags, 'sea,dusk')
    assert.equal(args.values.price, '0.01')
    assert.equal(args.values.duration, '48h')
    assert.equal(args.values.rating, '2')
    assert.equal(args.values.as, 'alice')
    assert.equal(args.values.force, false)
    // "Upload it again" after ERR_ALREADY_UPLOADED.
    assert.equal(parseCommandArgs(upload, uploadArgv(parseUploadRequest({ file: FILE, title: 't', force: true }), 'f', [])).values.force, true)
  })

  it('keeps values that look like flags as values', () => {
    const form = parseUploadRequest({ file: FILE, title: '--no-chain', description: '--force', tags: ['--private'] })
    const args = parseCommandArgs(upload, uploadArgv(form, '/tmp/x.src', []))
    assert.equal(args.values.title, '--no-chain')
    assert.equal(args.values.description, '--force')
    assert.equal(args.values['no-chain'], false)
    assert.equal(args.values.force, false)
    assert.equal(args.values.private, false)
  })

  it('maps each access choice to its flag', () => {
    const flags = (access: string): string[] => uploadArgv(parseUploadRequest({ file: FILE, title: 't', access }), 'f', []).filter(a => ['--unlisted', '--private', '--subscribers-only'].includes(a))
    assert.deepEqual(flags('public'), [])
    assert.deepEqual(flags('unlisted'), ['--unlisted'])
    assert.deepEqual(flags('private'), ['--private'])
    assert.deepEqual(flags('subscribers'), ['--subscribers-only'])
  })

  it('refuses hostile or malformed forms with ERR_BAD_REQUEST', () => {
    for (const body of [
      null, [], 'text', {},
      { file: FILE },
      { file: '../../etc/passwd', title: 't' },
      { file: FILE, title: 'x'.repeat(201) },
      { file: FILE, title: '   ' },
      { file: FILE, title: 'a\u0007b' },
      { file: FILE, title: 't', description: 'x'.repeat(5001) },
      { file: FILE, title: 't', tags: 'a,b' },
      { file: FILE, title: 't', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
      { file: FILE, title: 't', tags: ['a,b'] },
      { file: FILE, title: 't', tags: [7] },
      { file: FILE, title: 't', access: 'everyone' },
      { file: FILE, title: 't', access: 'paid' },
      { file: FILE, title: 't', price: '1' },
      { file: FILE, title: 't', access: 'paid', price: '1; rm -rf /' },
      { file: FILE, title: 't', access: 'paid', price: '1', duration: 'forever and ever' },
      { file: FILE, title: 't', duration: '48h' },
      { file: FILE, title: 't', rating: 5 },
      { file: FILE, title: 't', rating: 1.5 },
      { file: FILE, title: 't', rating: '2' },
      { file: FILE, title: 't', force: 'yes' },
      { file: FILE, title: 't', __proto__: { x: 1 }, extra: 1 }
    ]) {
      assert.equal(code(() => parseUploadRequest(body)), 'ERR_BAD_REQUEST', JSON.stringify(body))
    }
  })
})

describe('studio guard', () => {
  const token = newStudioToken()
  const guard = studioGuard(token, () => 4321)

  it('lets the studio page through', () => {
    const page = req({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321', 'sec-fetch-site': 'same-origin', authorization: `Bearer ${token}` })
    guard.checkOrigin(page)
    guard.checkToken(page)
    guard.checkOrigin(req({ host: 'localhost:4321' }))
  })

  it('refuses another host, origin or fetch site with ERR_STUDIO_ORIGIN', () => {
    for (const headers of [
      { host: 'evil.example:4321' },
      { host: '127.0.0.1:4322' },
      {},
      { host: '127.0.0.1:4321', origin: 'http://evil.example' },
      { host: '127.0.0.1:4321', origin: 'null' },
      { host: '127.0.0.1:4321', origin: 'https://127.0.0.1:4321' },
      { host: '127.0.0.1:4321', 'sec-fetch-site': 'cross-site' },
      { host: '127.0.0.1:4321', 'sec-fetch-site': 'same-site' }
    ]) {
      assert.equal(code(() => { guard.checkOrigin(req(headers)) }), 'ERR_STUDIO_ORIGIN', JSON.stringify(headers))
    }
  })

  it('refuses a missing, malformed or other token with ERR_STUDIO_TOKEN', () => {
    for (const authorization of ['', token, `Basic ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Bearer ${newStudioToken()}`, 'Bearer ' + 'A'.repeat(5000)]) {
      assert.equal(code(() => { guard.checkToken(req({ authorization })) }), 'ERR_STUDIO_TOKEN', authorization.slice(0, 40))
    }
  })
})
