// The studio's checks without a network: form validation, the upload arguments a form becomes
// (no value can turn into a flag), the token/Host/Origin guard, and the management routes over
// stand-in commands (the real ones run in packages/web/test/studio.int.test.ts).
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { parseCommandArgs } from '../src/command.ts'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { MAX_PROFILE_AVATAR_BYTES, MAX_PROFILE_BIO, MAX_PROFILE_LINKS, MAX_PROFILE_NAME } from '@p2pdv/core'
import { revoke } from '../src/commands/chain-videos.ts'
import { channelSet } from '../src/commands/channel.ts'
import { requireCondition } from '../src/commands/conditions.ts'
import { refundWindow } from '../src/commands/refunds.ts'
import { edit } from '../src/commands/edit.ts'
import { upload } from '../src/commands/upload.ts'
import { newStudioToken, studioGuard } from '../src/studio/guard.ts'
import { flagsFor } from '../src/studio/run-command.ts'
import { startStudioServer, type StudioManage } from '../src/studio/server.ts'
import { editArgv, parseConditionRequest, parseEditRequest, parseRefundWindowRequest, parseUploadRequest, requireArgv, uploadArgv } from '../src/studio/upload-job.ts'
import { channelArgv, parseChannelRequest } from '../src/studio/channel-form.ts'

const FILE = 'abcdefghijkl'
/** A checksummed contract address. */
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

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

  it('passes the keeper choice as --keepers/--threshold or --no-keepers, and the CLI\'s defaults when none is made', () => {
    const argsOf = (keepers: unknown): Record<string, unknown> => parseCommandArgs(upload, uploadArgv(parseUploadRequest({ file: FILE, title: 't', ...(keepers === undefined ? {} : { keepers }) }), 'f', [])).values
    const chosen = argsOf({ count: 5, threshold: 3 })
    assert.deepEqual([chosen.keepers, chosen.threshold, chosen['no-keepers']], ['5', '3', false])
    const none = argsOf('none')
    assert.deepEqual([none.keepers, none.threshold, none['no-keepers']], [undefined, undefined, true])
    const defaults = argsOf(undefined)
    assert.deepEqual([defaults.keepers, defaults.threshold, defaults['no-keepers']], [undefined, undefined, false])
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
      { file: FILE, title: 't', keepers: 'all' },
      { file: FILE, title: 't', keepers: { count: 1, threshold: 1 } },
      { file: FILE, title: 't', keepers: { count: 33, threshold: 2 } },
      { file: FILE, title: 't', keepers: { count: 3, threshold: 4 } },
      { file: FILE, title: 't', keepers: { count: 3, threshold: 1 } },
      { file: FILE, title: 't', keepers: { count: '3', threshold: 2 } },
      { file: FILE, title: 't', keepers: { count: 3, threshold: 2, epoch: 9 } },
      { file: FILE, title: 't', keepers: [3, 2] },
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
      withdraw: write('withdraw'),
      setCondition: async (id, c) => await write('require')(id, ...c.require, String(c.any)),
      clearCondition: async id => await write('require')(id, '--clear'),
      setRefundWindow: async (id, w) => await write('refund-window')(id, w),
      channel: async () => ({ address: '0x1' }),
      setChannel: async form => await write('channel set')(JSON.stringify(form)),
      avatar: async () => undefined
    }
    await withServer(manage, async call => {
      assert.deepEqual((await call(`/api/chain/videos/${VIDEO}`)).body, { video: VIDEO })
      assert.deepEqual((await call(`/api/chain/videos/${VIDEO}/audit`)).body, { audit: VIDEO })
      const results = await Promise.all([
        call(`/api/chain/videos/${VIDEO}/listing`, { method: 'POST', body: JSON.stringify({ title: ' New title ', tags: ['sea'], price: '0.02' }) }),
        call(`/api/chain/videos/${VIDEO}/grants`, { method: 'POST', body: JSON.stringify({ viewer: ' carol ' }) }),
        call(`/api/chain/videos/${VIDEO}/grants/0x${'12'.repeat(20)}`, { method: 'DELETE' }),
        call('/api/withdraw', { method: 'POST' }),
        call(`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ any: true, require: [`erc721:${TOKEN.toLowerCase()}`, 'time:2027-01-01..'] }) }),
        call(`/api/chain/videos/${VIDEO}/condition`, { method: 'DELETE' }),
        call(`/api/chain/videos/${VIDEO}/refund-window`, { method: 'POST', body: JSON.stringify({ window: ' 168h ' }) }),
        call('/api/channel', { method: 'POST', body: JSON.stringify({ name: ' Harbour TV ', links: ['https://example.com'] }) })
      ])
      assert.deepEqual(results.map(r => r.status), [200, 200, 200, 200, 200, 200, 200, 200])
      assert.equal(overlapped, false, 'writes never overlap')
      assert.deepEqual(calls.sort(), [
        `edit ${VIDEO} {"title":"New title","description":"","tags":["sea"],"price":"0.02"}`, `grant ${VIDEO} carol`, `revoke ${VIDEO} 0x${'12'.repeat(20)}`, 'withdraw ',
        // Canonical specs (checksummed address, ISO date-time) and window ("168h" is a week).
        `require ${VIDEO} erc721:${TOKEN} time:2027-01-01T00:00:00Z.. true`, `require ${VIDEO} --clear`, `refund-window ${VIDEO} 1w`,
        'channel set {"name":"Harbour TV","links":["https://example.com/"]}'
      ].sort())
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
    const manage: StudioManage = { mine: count, audience: count, edit: count, grant: count, revoke: count, audit: count, earnings: count, withdraw: count, setCondition: count, clearCondition: count, setRefundWindow: count, channel: count, setChannel: count, avatar: async () => undefined }
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

describe('studio access conditions and refund windows', () => {
  const VIDEO = `0x${'cd'.repeat(32)}`

  it('turns an upload form\'s condition and refund window into `upload` flags, specs as the chain parser prints them', () => {
    const form = parseUploadRequest({ file: FILE, title: 't', access: 'paid', price: '0.01', refundWindow: '7d', condition: { any: true, require: [` erc20:${TOKEN.toLowerCase()}>=100e18`, `erc1155:${TOKEN}:7`] } })
    assert.deepEqual(form.condition, { any: true, require: [`erc20:${TOKEN}>=${100n * 10n ** 18n}`, `erc1155:${TOKEN}:7`] })
    const args = parseCommandArgs(upload, uploadArgv(form, 'f', []))
    assert.deepEqual(args.values.require, form.condition!.require)
    assert.equal(args.values['require-any'], true)
    assert.equal(args.values['refund-window'], '1w')
    // AND, no window: neither flag.
    const and = parseCommandArgs(upload, uploadArgv(parseUploadRequest({ file: FILE, title: 't', condition: { require: ['time:..2030-01-01'] } }), 'f', []))
    assert.deepEqual([and.values.require, and.values['require-any'], and.values['refund-window']], [['time:..2030-01-01T00:00:00Z'], false, undefined])
    // "0" is no window at all.
    assert.equal(parseUploadRequest({ file: FILE, title: 't', access: 'paid', price: '1', refundWindow: '0' }).refundWindow, undefined)
  })

  it('refuses malformed conditions and windows with the chain parser\'s codes, and bad shapes with ERR_BAD_REQUEST', () => {
    const upload = (extra: Record<string, unknown>): string | undefined => code(() => parseUploadRequest({ file: FILE, title: 't', access: 'paid', price: '1', ...extra }))
    const cases: Array<[unknown, string]> = [
      [{ require: ['erc20:0x12'] }, 'ERR_CONDITION_ADDRESS'],
      [{ require: ['erc20:0x0000000000000000000000000000000000000000'] }, 'ERR_CONDITION_ADDRESS'],
      [{ require: ['gold:0x12'] }, 'ERR_CONDITION_KIND'],
      [{ require: ['--as=bob'] }, 'ERR_CONDITION_SYNTAX'],
      [{ require: [`erc20:${TOKEN}>=0`] }, 'ERR_CONDITION_AMOUNT'],
      [{ require: [`erc20:${TOKEN}>=1.5`] }, 'ERR_CONDITION_AMOUNT'],
      [{ require: [`erc1155:${TOKEN}`] }, 'ERR_CONDITION_TOKEN_ID'],
      [{ require: [`erc721:${TOKEN}:5`] }, 'ERR_CONDITION_TOKEN_ID'],
      [{ require: ['time:2027-02-01..2027-01-01'] }, 'ERR_CONDITION_TIME'],
      [{ require: ['time:..'] }, 'ERR_CONDITION_TIME'],
      [{ require: [`erc20:${TOKEN}>=${'9'.repeat(300)}`] }, 'ERR_CONDITION_SYNTAX'],
      [{ require: [] }, 'ERR_CONDITION_COUNT'],
      [{ require: Array.from({ length: 5 }, () => `erc721:${TOKEN}`) }, 'ERR_CONDITION_COUNT'],
      [{ require: Array.from({ length: 1000 }, () => 'x') }, 'ERR_BAD_REQUEST'],
      [{ require: `erc721:${TOKEN}` }, 'ERR_BAD_REQUEST'],
      [{ require: [7] }, 'ERR_BAD_REQUEST'],
      [{ require: [`erc721:${TOKEN}`], any: 'yes' }, 'ERR_BAD_REQUEST'],
      [{ require: [`erc721:${TOKEN}`], owner: 'bob' }, 'ERR_BAD_REQUEST'],
      [[`erc721:${TOKEN}`], 'ERR_BAD_REQUEST'],
      ['erc721', 'ERR_BAD_REQUEST']
    ]
    for (const [condition, c] of cases) assert.equal(upload({ condition }), c, JSON.stringify(condition).slice(0, 80))
    for (const [window, c] of [['31d', 'ERR_REFUND_WINDOW'], ['forever', 'ERR_BAD_DURATION'], ['-1d', 'ERR_BAD_DURATION'], ['x'.repeat(21), 'ERR_BAD_REQUEST'], [7, 'ERR_BAD_REQUEST']] as const) {
      assert.equal(upload({ refundWindow: window }), c, String(window))
    }
    assert.equal(code(() => parseUploadRequest({ file: FILE, title: 't', refundWindow: '7d' })), 'ERR_BAD_REQUEST', 'a free video has no refund window')
    // The manage page's forms.
    assert.equal(code(() => parseConditionRequest({})), 'ERR_BAD_REQUEST')
    assert.equal(code(() => parseConditionRequest(null)), 'ERR_BAD_REQUEST')
    assert.equal(code(() => parseConditionRequest({ require: ['erc20:nope'] })), 'ERR_CONDITION_ADDRESS')
    assert.equal(code(() => parseRefundWindowRequest({})), 'ERR_BAD_REQUEST')
    assert.equal(code(() => parseRefundWindowRequest({ window: '7d', video: VIDEO })), 'ERR_BAD_REQUEST')
    assert.equal(code(() => parseRefundWindowRequest({ window: '30d1' })), 'ERR_BAD_DURATION')
    assert.equal(code(() => parseRefundWindowRequest({ window: '721h' })), 'ERR_REFUND_WINDOW')
    assert.equal(parseRefundWindowRequest({ window: '30d' }), '30d')
    assert.equal(parseRefundWindowRequest({ window: '0' }), '0')
  })

  it('runs `require` and `refund-window` with positionals that stay positionals', () => {
    const c = parseConditionRequest({ any: true, require: [`erc721:${TOKEN}>=2`, 'time:1800000000..'] })
    const args = parseCommandArgs(requireCondition, requireArgv(VIDEO, c))
    assert.deepEqual(args.positionals, [VIDEO, `erc721:${TOKEN}>=2`, 'time:2027-01-15T08:00:00Z..'])
    assert.deepEqual([args.values.any, args.values.clear], [true, false])
    const and = parseCommandArgs(requireCondition, requireArgv(VIDEO, parseConditionRequest({ require: [`erc20:${TOKEN}`] })))
    assert.equal(and.values.any, false)
    const w = parseCommandArgs(refundWindow, [VIDEO, parseRefundWindowRequest({ window: '48h' })])
    assert.deepEqual(w.positionals, [VIDEO, '2d'])
  })
})

describe('studio channel form', () => {
  it('accepts a profile within core\'s limits and turns it into `channel set` flags whose values stay values', () => {
    const form = parseChannelRequest({ name: ' --as=bob ', bio: '--avatar=/etc/passwd\nsecond line', links: [' https://example.com ', 'https://EXAMPLE.org/a b'], avatar: 'abcdefghijkl' })
    assert.deepEqual(form, { name: '--as=bob', bio: '--avatar=/etc/passwd\nsecond line', links: ['https://example.com/', 'https://example.org/a%20b'], avatar: 'abcdefghijkl' })
    const args = parseCommandArgs(channelSet, channelArgv(form, '/tmp/studio/x.img'))
    assert.equal(args.values.name, '--as=bob')
    assert.equal(args.values.bio, '--avatar=/etc/passwd\nsecond line')
    assert.deepEqual(args.values.link, ['https://example.com/', 'https://example.org/a%20b'])
    assert.equal(args.values.avatar, '/tmp/studio/x.img')
    assert.deepEqual([args.values.as, args.values['no-links'], args.positionals], [undefined, false, []])
    // An emptied list removes the links (no --link at all would keep them); a name alone touches nothing else.
    const cleared = parseCommandArgs(channelSet, channelArgv(parseChannelRequest({ links: [] }), undefined))
    assert.deepEqual([cleared.values['no-links'], cleared.values.link, cleared.values.name], [true, undefined, undefined])
    assert.deepEqual(channelArgv(parseChannelRequest({ name: 'n' }), undefined), ['--name=n'])
    // At the limits exactly.
    parseChannelRequest({ name: 'n'.repeat(MAX_PROFILE_NAME), bio: 'b'.repeat(MAX_PROFILE_BIO), links: Array.from({ length: MAX_PROFILE_LINKS }, (_, i) => `https://example.com/${i}`) })
    // The studio passes `channel set` the flags it takes (--replicas, --as, --node, --rpc), not --no-chain.
    assert.deepEqual(flagsFor(channelSet, ['--replicas=2', '--as=alice', '--node=http://127.0.0.1:1', '--no-chain', '--k=2']), ['--replicas=2', '--as=alice', '--node=http://127.0.0.1:1'])
  })

  it('refuses fields past core\'s limits with ERR_PROFILE_INPUT and bad shapes with ERR_BAD_REQUEST', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'n'.repeat(MAX_PROFILE_NAME + 1) }, 'ERR_PROFILE_INPUT'],
      [{ name: '   ' }, 'ERR_PROFILE_INPUT'],
      [{ name: 'a\nb' }, 'ERR_PROFILE_INPUT'],
      [{ bio: 'b'.repeat(MAX_PROFILE_BIO + 1) }, 'ERR_PROFILE_INPUT'],
      [{ links: Array.from({ length: MAX_PROFILE_LINKS + 1 }, (_, i) => `https://example.com/${i}`) }, 'ERR_PROFILE_INPUT'],
      [{ links: ['http://example.com'] }, 'ERR_PROFILE_INPUT'],
      [{ links: ['javascript:alert(1)'] }, 'ERR_PROFILE_INPUT'],
      [{ links: ['https://user:pw@example.com'] }, 'ERR_PROFILE_INPUT'],
      [{ links: [`https://example.com/${'x'.repeat(200)}`] }, 'ERR_PROFILE_INPUT'],
      [{ links: ['https://example.com', 'https://example.com/'] }, 'ERR_PROFILE_INPUT'],
      [{ links: [7] }, 'ERR_PROFILE_INPUT'],
      [{ links: 'https://example.com' }, 'ERR_BAD_REQUEST'],
      [{ bio: 'a\u0007b' }, 'ERR_BAD_REQUEST'],
      [{ name: 7 }, 'ERR_BAD_REQUEST'],
      [{ name: 'n', avatar: '../../etc/passwd' }, 'ERR_BAD_REQUEST'],
      [{ name: 'n', replicas: 16 }, 'ERR_BAD_REQUEST'],
      [{}, 'ERR_BAD_REQUEST'],
      [null, 'ERR_BAD_REQUEST'],
      [['n'], 'ERR_BAD_REQUEST']
    ]
    for (const [body, c] of cases) assert.equal(code(() => parseChannelRequest(body)), c, JSON.stringify(body).slice(0, 80))
  })

  it('takes an avatar (JPEG or PNG within core\'s size) into a private temp file, hands it to `channel set` and deletes it; refuses others', async () => {
    const token = newStudioToken()
    const got: Array<{ form: unknown, bytes?: Buffer, path?: string }> = []
    const none = async (): Promise<unknown> => ({})
    const manage: StudioManage = {
      mine: none, audience: none, edit: none, grant: none, revoke: none, audit: none, earnings: none, withdraw: none, setCondition: none, clearCondition: none, setRefundWindow: none,
      channel: async () => ({ address: '0xabc', pageUrl: 'http://node/channel/0xabc' }),
      setChannel: async (form, path) => { got.push({ form, ...(path === undefined ? {} : { path, bytes: await readFile(path) }) }); return { name: form.name } },
      // The published avatar: none until a save went through.
      avatar: async () => got.length === 0 ? undefined : { bytes: got[0]!.bytes!, type: 'image/png' as const }
    }
    const server = await startStudioServer({ app: { page: async () => ({ body: new Uint8Array(0), type: 'text/html' }), asset: async () => undefined }, startUpload: async () => {}, videos: () => [], session: () => ({}), maxUploadBytes: 1024, manage }, { port: 0, token })
    const base = `http://127.0.0.1:${server.port}`
    const auth = { authorization: `Bearer ${token}` }
    const put = async (body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = auth): Promise<{ status: number, body: any }> => {
      const r = await fetch(`${base}/api/channel/avatar`, { method: 'PUT', headers, body })
      return { status: r.status, body: await r.json() }
    }
    const post = async (body: unknown, headers: Record<string, string> = auth): Promise<{ status: number, body: any }> => {
      const r = await fetch(`${base}/api/channel`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: r.status, body: await r.json() }
    }
    try {
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
      const published = async (headers: Record<string, string> = auth): Promise<Response> => await fetch(`${base}/api/channel/avatar`, { headers })
      assert.deepEqual((await (await published()).json()).error.code, 'ERR_NOT_FOUND', 'no avatar published yet')
      assert.equal((await published({})).status, 401)
      // Hostile: another origin, no token, not an image, empty, over core's size (declared, and streamed).
      assert.deepEqual([(await put(png, { ...auth, origin: 'http://evil.example' })).body.error.code], ['ERR_STUDIO_ORIGIN'])
      assert.deepEqual([(await put(png, {})).status], [401])
      assert.deepEqual([(await put(new TextEncoder().encode('GIF89a....'))).body.error.code], ['ERR_PROFILE_AVATAR'])
      assert.deepEqual([(await put(new Uint8Array(0))).body.error.code], ['ERR_BAD_REQUEST'])
      const big = new Uint8Array(MAX_PROFILE_AVATAR_BYTES + 1)
      big.set(png)
      const over = await put(big)
      assert.deepEqual([over.status, over.body.error.code], [413, 'ERR_BODY_TOO_LARGE'])
      const streamed = await fetch(`${base}/api/channel/avatar`, { method: 'PUT', headers: auth, body: new ReadableStream({ start (c) { c.enqueue(big); c.close() } }), duplex: 'half' } as RequestInit)
      assert.equal(streamed.status, 413)
      assert.deepEqual((await post({ name: 'x' }, { ...auth, origin: 'http://evil.example' })).status, 403)
      assert.deepEqual((await post({ name: 'x' }, {})).status, 401)
      assert.deepEqual((await post({ name: 'x', avatar: 'abcdefghijkl' })).body.error.code, 'ERR_NOT_FOUND')
      assert.deepEqual((await post({ name: 'x'.repeat(65) })).body.error.code, 'ERR_PROFILE_INPUT')
      assert.equal(got.length, 0, 'nothing refused reached `channel set`')

      const first = await put(png)
      assert.equal(first.status, 201)
      // Picking another image drops the first one.
      const second = await put(png)
      assert.deepEqual((await post({ name: 'x', avatar: first.body.file })).body.error.code, 'ERR_NOT_FOUND')
      const saved = await post({ name: ' Harbour TV ', avatar: second.body.file })
      assert.deepEqual([saved.status, saved.body], [200, { name: 'Harbour TV' }])
      assert.deepEqual(got[0]!.form, { name: 'Harbour TV', avatar: second.body.file })
      assert.deepEqual(new Uint8Array(got[0]!.bytes!), png)
      assert.equal(existsSync(got[0]!.path!), false, 'the image is deleted once `channel set` ran')
      const shown = await published()
      assert.deepEqual([shown.status, shown.headers.get('content-type'), shown.headers.get('x-content-type-options'), shown.headers.get('cache-control')], [200, 'image/png', 'nosniff', 'no-store'])
      assert.deepEqual(new Uint8Array(await shown.arrayBuffer()), png)
      // Used once: the same id again is unknown.
      assert.equal((await post({ name: 'x', avatar: second.body.file })).body.error.code, 'ERR_NOT_FOUND')
      assert.deepEqual((await (await fetch(`${base}/api/channel`, { headers: auth })).json()), { address: '0xabc', pageUrl: 'http://node/channel/0xabc' })
    } finally {
      await server.close()
    }
  })

  it('refuses bad condition and refund-window calls before any command runs', async () => {
    const VIDEO = `0x${'ef'.repeat(32)}`
    let ran = 0
    const count = async (): Promise<unknown> => { ran++; return {} }
    const token = newStudioToken()
    const manage: StudioManage = { mine: count, audience: count, edit: count, grant: count, revoke: count, audit: count, earnings: count, withdraw: count, setCondition: count, clearCondition: count, setRefundWindow: count, channel: count, setChannel: count, avatar: async () => undefined }
    const server = await startStudioServer({ app: { page: async () => ({ body: new Uint8Array(0), type: 'text/html' }), asset: async () => undefined }, startUpload: async () => {}, videos: () => [], session: () => ({}), maxUploadBytes: 1024, manage }, { port: 0, token })
    try {
      const call = async (path: string, init: RequestInit, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<[number, string]> => {
        const r = await fetch(`http://127.0.0.1:${server.port}${path}`, { ...init, headers: { ...headers, 'content-type': 'application/json' } })
        return [r.status, ((await r.json()) as { error: { code: string } }).error.code]
      }
      const cases: Array<[string, RequestInit, number, string]> = [
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ require: ['erc20:0x12'] }) }, 400, 'ERR_CONDITION_ADDRESS'],
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ require: ['-x'] }) }, 400, 'ERR_CONDITION_SYNTAX'],
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ require: Array(5).fill(`erc721:${TOKEN}`) }) }, 400, 'ERR_CONDITION_COUNT'],
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ require: [`erc721:${TOKEN}`], video: VIDEO }) }, 400, 'ERR_BAD_REQUEST'],
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'POST', body: JSON.stringify({ require: ['x'.repeat(20_000)] }) }, 413, 'ERR_BODY_TOO_LARGE'],
        ['/api/chain/videos/0x12/condition', { method: 'DELETE' }, 400, 'ERR_BAD_VIDEO_ID'],
        [`/api/chain/videos/${VIDEO}/condition`, { method: 'PUT', body: '{}' }, 404, 'ERR_NOT_FOUND'],
        [`/api/chain/videos/${VIDEO}/refund-window`, { method: 'POST', body: JSON.stringify({ window: '60d' }) }, 400, 'ERR_REFUND_WINDOW'],
        [`/api/chain/videos/${VIDEO}/refund-window`, { method: 'POST', body: JSON.stringify({ window: '--as=bob' }) }, 400, 'ERR_BAD_DURATION'],
        [`/api/chain/videos/${VIDEO}/refund-window`, { method: 'POST', body: '7d' }, 400, 'ERR_BAD_REQUEST'],
        ['/api/channel', { method: 'POST', body: JSON.stringify({ links: ['http://x.example'] }) }, 400, 'ERR_PROFILE_INPUT'],
        ['/api/channel', { method: 'DELETE' }, 404, 'ERR_NOT_FOUND']
      ]
      for (const [path, init, status, c] of cases) assert.deepEqual(await call(path, init), [status, c], `${init.method ?? 'GET'} ${path}`)
      assert.deepEqual(await call(`/api/chain/videos/${VIDEO}/refund-window`, { method: 'POST', body: '{"window":"7d"}' }, { authorization: `Bearer ${token}`, origin: 'http://evil.example' }), [403, 'ERR_STUDIO_ORIGIN'])
      assert.deepEqual(await call(`/api/chain/videos/${VIDEO}/condition`, { method: 'DELETE' }, {}), [401, 'ERR_STUDIO_TOKEN'])
      assert.equal(ran, 0)
    } finally {
      await server.close()
    }
  })
})
