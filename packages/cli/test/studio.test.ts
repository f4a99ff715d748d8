// The studio's checks without a network: form validation, the upload arguments a form becomes
// (no value can turn into a flag), the token/Host/Origin guard, and the management routes over
// stand-in commands (the real ones run in packages/web/test/studio.int.test.ts).
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { parseCommandArgs } from '../src/command.ts'
import { revoke } from '../src/commands/chain-videos.ts'
import { edit } from '../src/commands/edit.ts'
import { upload } from '../src/commands/upload.ts'
import { newStudioToken, studioGuard } from '../src/studio/guard.ts'
import { flagsFor } from '../src/studio/run-command.ts'
import { startStudioServer, type StudioManage } from '../src/studio/server.ts'
import { editArgv, parseEditRequest, parseUploadRequest, uploadArgv } from '../src/studio/upload-job.ts'

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

describe('studio video management (server, over stand-in commands)', () => {
  const VIDEO = `0x${'ab'.repeat(32)}`
  const page = { page: async () => ({ body: new Uint8Array(0), type: 'text/html' }), asset: async () => undefined }

  async function withServer (manage: StudioManage | undefined, fn: (call: (path: string, init?: RequestInit) => Promise<{ status: number, body: any }>) => Promise<void>): Promise<void> {
    const token = newStudioToken()
    const server = await startStudioServer({ app: page, startUpload: async () => {}, videos: () => [], session: () => ({}), maxUploadBytes: 1024, ...(manage === undefined ? {} : { manage }) }, { port: 0, token })
    try {
      await fn(async (path, init = {}) => {
        const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })
        return { status: res.status, body: await res.json() }
      })
    } finally {
      await server.close()
    }
  }

  it('passes checked ids and viewers to the commands, one chain write at a time', async () => {
    const calls: string[] = []
    let running = 0
    let overlapped = false
    const write = (name: string) => async (...args: string[]): Promise<unknown> => {
      running++
      if (running > 1) overlapped = true
      await new Promise(resolve => setTimeout(resolve, 30))
      calls.push(`${name} ${args.join(' ')}`)
      running--
      return { ok: name }
    }
    const manage: StudioManage = {
      mine: async () => ({ videos: [] }),
      audience: async id => ({ video: id }),
      edit: async (id, form) => await write('edit')(id, JSON.stringify(form)),
      grant: write('grant'),
      revoke: write('revoke'),
      audit: async id => ({ audit: id }),
      earnings: async () => ({ owedEth: '1' }),
      withdraw: write('withdraw')
    }
    await withServer(manage, async call => {
      assert.deepEqual((await call(`/api/chain/videos/${VIDEO}`)).body, { video: VIDEO })
      assert.deepEqual((await call(`/api/chain/videos/${VIDEO}/audit`)).body, { audit: VIDEO })
      const results = await Promise.all([
        call(`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: ' New title ', tags: ['sea'], price: '0.02' }) }),
        call(`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: JSON.stringify({ viewer: ' carol ' }) }),
        call(`/api/chain/videos/${VIDEO}/grants/0x${'12'.repeat(20)}`, { method: 'DELETE' }),
        call('/api/withdraw', { method: 'POST' })
      ])
      assert.deepEqual(results.map(r => r.status), [200, 200, 200, 200])
      assert.equal(overlapped, false, 'writes never overlap')
      assert.deepEqual(calls.sort(), [`edit ${VIDEO} {"title":"New title","description":"","tags":["sea"],"price":"0.02"}`, `grant ${VIDEO} carol`, `revoke ${VIDEO} 0x${'12'.repeat(20)}`, 'withdraw '].sort())
      // A failed write does not block the next.
      manage.grant = async () => { throw new P2pdvError('ERR_CHAIN_NOT_VIDEO_MANAGER', 'not yours') }
      assert.deepEqual((await call(`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: '{"viewer":"bob"}' })).body.error.code, 'ERR_CHAIN_NOT_VIDEO_MANAGER')
      assert.equal((await call('/api/withdraw', { method: 'POST' })).status, 200)
    })
  })

  it('turns an edit form into `edit` flags whose values stay values', () => {
    const form = parseEditRequest({ title: '--as=bob', description: '--price=0', tags: ['--node=http://evil'] })
    const args = parseCommandArgs(edit, editArgv(VIDEO, form))
    assert.equal(args.values.title, '--as=bob')
    assert.equal(args.values.description, '--price=0')
    assert.equal(args.values.tags, '--node=http://evil')
    assert.deepEqual([args.values.as, args.values.price, args.values.node], [undefined, undefined, undefined])
    assert.deepEqual(args.positionals, [VIDEO])
  })

  it('passes each command only the studio flags it takes', () => {
    assert.deepEqual(flagsFor(revoke, ['--replicas=2', '--as=alice', '--node=http://127.0.0.1:1', '--rpc=http://127.0.0.1:2', '--no-chain']), ['--as=alice', '--rpc=http://127.0.0.1:2'])
  })

  it('refuses bad ids, viewers, bodies and routes with codes, before any command runs', async () => {
    let ran = 0
    const count = async (): Promise<unknown> => { ran++; return {} }
    const manage: StudioManage = { mine: count, audience: count, edit: count, grant: count, revoke: count, audit: count, earnings: count, withdraw: count }
    await withServer(manage, async call => {
      const cases: Array<[string, RequestInit, number, string]> = [
        ['/api/chain/videos/0x1234', {}, 400, 'ERR_BAD_VIDEO_ID'],
        [`/api/chain/videos/${VIDEO}x`, {}, 400, 'ERR_BAD_VIDEO_ID'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: '{"viewer":"--as=bob"}' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: '{"viewer":"0x12"}' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: '{"viewer":["carol"]}' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: '{"viewer":"carol","as":"bob"}' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: 'carol' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants/%E0%A4%A`, { method: 'DELETE' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants/carol%20bob`, { method: 'DELETE' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/grants`, { method: 'DELETE' }, 404, 'ERR_NOT_FOUND'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: '{"title":""}' }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: 'x', tags: ['a,b'] }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: 'x', price: '--as=bob' }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: 'x', duration: '48h' }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: 'x', owner: 'bob' }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: 'x'.repeat(201) }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/keys`, {}, 404, 'ERR_NOT_FOUND'],
        ['/api/withdraw', {}, 404, 'ERR_NOT_FOUND']
      ]
      for (const [path, init, status, c] of cases) {
        const r = await call(path, init)
        assert.deepEqual([r.status, r.body.error?.code], [status, c], `${init.method ?? 'GET'} ${path}`)
      }
      assert.equal(ran, 0)
    })
    await withServer(undefined, async call => {
      const r = await call('/api/earnings')
      assert.deepEqual([r.status, r.body.error.code], [400, 'ERR_NO_CHAIN'])
    })
  })
})
