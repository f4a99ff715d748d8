// The browser player's pieces, in Node: the peer directory parser and the hls.js loader over a
// stand-in video source (the real source is exercised in Chromium by packages/web's e2e test).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LoaderCallbacks, LoaderConfiguration, LoaderContext, HlsConfig } from 'hls.js'
import { blockCid, P2pdvError } from '@p2pdv/core'
import { createHlsLoader, loaderStatus, masterPlaylistUrl, parsePeerDirectory, type VideoSource, type VideoRead } from '../src/browser.ts'

describe('parsePeerDirectory', () => {
  const id = '12D3KooWEapDDitGMtpN74KoLfEu52m9NM5bjjATSXgt1ctYtMCe'
  it('keeps well-formed entries as origins, drops anything else', () => {
    const peers = parsePeerDirectory({
      peers: [
        { peerId: id, http: 'http://127.0.0.1:4001' },
        { peerId: id, http: 'http://127.0.0.1:4002' }, // duplicate id
        { peerId: 'x', http: 'http://127.0.0.1:4003' },
        { peerId: `${id.slice(0, -1)}A`, http: 'javascript:alert(1)' },
        { peerId: `${id.slice(0, -1)}B`, http: 'http://127.0.0.1:4004/path' },
        { peerId: `${id.slice(0, -1)}C`, http: 'https://node.example:443' },
        null,
        'junk'
      ]
    })
    assert.deepEqual(peers.map(p => p.http), ['http://127.0.0.1:4001', 'https://node.example'])
  })
  it('is bounded, and tolerates a body of the wrong shape', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ peerId: `12D3KooW${String(i).replaceAll('0', 'z').padStart(44, 'a')}`, http: `http://127.0.0.1:${1000 + i}` }))
    assert.equal(parsePeerDirectory({ peers: many }).length, 64)
    assert.deepEqual(parsePeerDirectory(null), [])
    assert.deepEqual(parsePeerDirectory({ peers: 'x' }), [])
  })
})

/** A stand-in for VideoSource: a fixed map of paths. */
async function fakeSource (files: Record<string, VideoRead | P2pdvError>, delayMs = 0): Promise<VideoSource> {
  const manifestCid = await blockCid(new Uint8Array([1]))
  return {
    manifestCid,
    read: async (path: string, signal?: AbortSignal): Promise<VideoRead> => {
      if (delayMs > 0) await new Promise(resolve => setTimeout(resolve, delayMs))
      if (signal?.aborted === true) throw new P2pdvError('ERR_ABORTED', 'aborted')
      const f = files[path]
      if (f === undefined) throw new P2pdvError('ERR_VIDEO_PATH', 'no such path')
      if (f instanceof P2pdvError) throw f
      return f
    }
  } as unknown as VideoSource
}

const CONFIG = { loadPolicy: { maxTimeToFirstByteMs: 1000, maxLoadTimeMs: 5000, timeoutRetry: null, errorRetry: null }, maxRetry: 0, timeout: 5000, retryDelay: 0, maxRetryDelay: 0 } satisfies LoaderConfiguration

type Outcome = { kind: 'success', data: unknown, loaded: number } | { kind: 'error', code: number, text: string } | { kind: 'timeout' } | { kind: 'abort' }

function load (Loader: ReturnType<typeof createHlsLoader>, context: Partial<LoaderContext> & { url: string }): { loader: InstanceType<typeof Loader>, outcome: Promise<Outcome> } {
  const loader = new Loader({} as HlsConfig)
  const outcome = new Promise<Outcome>(resolve => {
    const callbacks: LoaderCallbacks<LoaderContext> = {
      onSuccess: (res, stats) => { resolve({ kind: 'success', data: res.data, loaded: stats.loaded }) },
      onError: err => { resolve({ kind: 'error', code: err.code, text: err.text }) },
      onTimeout: () => { resolve({ kind: 'timeout' }) },
      onAbort: () => { resolve({ kind: 'abort' }) }
    }
    loader.load({ responseType: 'arraybuffer', type: 'manifest' as LoaderContext['type'], rangeStart: 0, rangeEnd: 0, ...context } as LoaderContext, CONFIG, callbacks)
  })
  return { loader, outcome }
}

describe('hls.js loader', () => {
  const seg: VideoRead = { kind: 'bytes', type: 'video/mp4', bytes: new Uint8Array([1, 2, 3, 4, 5]), cipherBytes: 21 }
  const playlist: VideoRead = { kind: 'text', type: 'application/vnd.apple.mpegurl', body: '#EXTM3U\n' }

  it('answers each path of the video from the source: whole segments (rangeEnd 0), text as asked', async () => {
    const source = await fakeSource({ 'master.m3u8': playlist, '480p/0.m4s': seg })
    const Loader = createHlsLoader(source)
    const base = masterPlaylistUrl(source).replace('master.m3u8', '')
    const s = await load(Loader, { url: `${base}480p/0.m4s?x=1` }).outcome
    assert.equal(s.kind, 'success')
    assert.deepEqual(s.kind === 'success' && new Uint8Array(s.data as ArrayBuffer), seg.bytes)
    assert.equal(s.kind === 'success' && s.loaded, 21, 'stats count the bytes that crossed the network')
    const ranged = await load(Loader, { url: `${base}480p/0.m4s`, rangeStart: 1, rangeEnd: 3 }).outcome
    assert.deepEqual(ranged.kind === 'success' && new Uint8Array(ranged.data as ArrayBuffer), new Uint8Array([2, 3]))
    const text = await load(Loader, { url: masterPlaylistUrl(source), responseType: 'text' }).outcome
    assert.equal(text.kind === 'success' && text.data, '#EXTM3U\n')
  })

  it('reports failures with a code hls.js retries only when retrying can help', async () => {
    const failures: string[] = []
    const source = await fakeSource({ 'a/0.m4s': new P2pdvError('ERR_BLOCK_UNAVAILABLE', 'no node'), 'a/1.m4s': new P2pdvError('ERR_CHUNK_AUTH', 'bad') })
    const Loader = createHlsLoader(source, { onFailure: f => { failures.push(f.error.code) } })
    const base = masterPlaylistUrl(source).replace('master.m3u8', '')
    const unavailable = await load(Loader, { url: `${base}a/0.m4s` }).outcome
    assert.deepEqual(unavailable.kind === 'error' && [unavailable.code, unavailable.text.split(':')[0]], [503, 'ERR_BLOCK_UNAVAILABLE'])
    const auth = await load(Loader, { url: `${base}a/1.m4s` }).outcome
    assert.equal(auth.kind === 'error' && auth.code, 422)
    const outside = await load(Loader, { url: 'https://example.org/master.m3u8' }).outcome
    assert.deepEqual(outside.kind === 'error' && [outside.code, outside.text.split(':')[0]], [404, 'ERR_LOADER_URL'])
    assert.deepEqual(failures, ['ERR_BLOCK_UNAVAILABLE', 'ERR_CHUNK_AUTH', 'ERR_LOADER_URL'])
    assert.equal(loaderStatus(new P2pdvError('ERR_VIDEO_PATH', 'x')), 404)
    // Statuses come from the error catalog: what may pass is retried (503), a fault of the request is its 4xx.
    assert.equal(loaderStatus(new P2pdvError('ERR_PEERS_UNAVAILABLE', 'x')), 503)
    assert.equal(loaderStatus(new P2pdvError('ERR_NOT_A_VIDEO', 'x')), 400)
    assert.equal(loaderStatus(new P2pdvError('ERR_INTERNAL', 'x')), 422)
  })

  it('reports progress while a segment loads, block by block (hls.js reads it to estimate bandwidth)', async () => {
    let release!: () => void
    const blocked = new Promise<void>(resolve => { release = resolve })
    const source = {
      manifestCid: await blockCid(new Uint8Array([1])),
      read: async (_path: string, _signal?: AbortSignal, onBytes?: (n: number) => void): Promise<VideoRead> => {
        onBytes?.(10)
        await blocked
        onBytes?.(11)
        return seg
      }
    } as unknown as VideoSource
    const { loader, outcome } = load(createHlsLoader(source), { url: masterPlaylistUrl(source).replace('master.m3u8', 'a/0.m4s') })
    await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(loader.stats.loaded, 10, 'the first block counts before the segment is complete')
    assert.ok(loader.stats.loading.first >= loader.stats.loading.start && loader.stats.loading.first > 0)
    assert.equal(loader.stats.loading.end, 0)
    const first = loader.stats.loading.first
    release()
    const done = await outcome
    assert.equal(done.kind === 'success' && done.loaded, 21)
    assert.equal(loader.stats.loading.first, first, 'time to first byte is when the first block came')
  })

  it('after abort, calls onAbort and nothing else', async () => {
    const source = await fakeSource({ 'a/0.m4s': seg }, 50)
    const Loader = createHlsLoader(source)
    const { loader, outcome } = load(Loader, { url: masterPlaylistUrl(source).replace('master.m3u8', 'a/0.m4s') })
    loader.abort()
    assert.equal((await outcome).kind, 'abort')
    assert.equal(loader.stats.aborted, true)
    await new Promise(resolve => setTimeout(resolve, 80))
  })
})
