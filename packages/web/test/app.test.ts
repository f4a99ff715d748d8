// The page's pure helpers and the app bundle as a node serves it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatCapability, generateContentKey, blockCid, isP2pdvError } from '@p2pdv/core'
import { FragmentKeySource } from '../src/app/key-source.ts'
import { liveFromPath, manifestFromPath, videoFromPath, watchPathFor } from '../src/app/links.ts'
import { tileAt } from '../src/app/watch/media-extras.ts'
import { buildWebApp } from '../src/server/web-app.ts'

const code = (fn: () => unknown): string | undefined => {
  try { fn() } catch (err) { return isP2pdvError(err) ? err.code : 'not a P2pdvError' }
  return undefined
}

describe('watch links', async () => {
  const cid = await blockCid(new Uint8Array([7]))
  const cap = formatCapability({ manifest: cid, key: generateContentKey() })
  const key = cap.split('#')[1]!

  it('turns a capability or a watch link from any node into a same-origin watch path', () => {
    assert.equal(watchPathFor(cap), `/watch/${cid.toString()}#${key}`)
    assert.equal(watchPathFor(`  http://10.0.0.5:4001/watch/${cid.toString()}#${key}\n`), `/watch/${cid.toString()}#${key}`)
    assert.equal(manifestFromPath(`/watch/${cid.toString()}`)?.toString(), cid.toString())
    assert.equal(manifestFromPath('/watch/not-a-cid'), undefined)
  })

  it('turns a video link (no key) or its watch page on any node into /watch/video/<id>', () => {
    const video = `0x${'ab'.repeat(32)}`
    assert.equal(watchPathFor(`p2pdv://video/${video.toUpperCase().replace('0X', '0x')}?m=${cid.toString()}`), `/watch/video/${video}`)
    assert.equal(watchPathFor(`http://10.0.0.5:4001/watch/video/${video}`), `/watch/video/${video}`)
    assert.equal(videoFromPath(`/watch/video/${video}`), video)
    assert.equal(videoFromPath(`/watch/video/${video.slice(0, -2)}`), undefined)
    assert.equal(videoFromPath(`/watch/${cid.toString()}`), undefined)
    assert.equal(code(() => watchPathFor(`p2pdv://video/${video}#key`)), 'ERR_BAD_LINK')
    assert.equal(code(() => watchPathFor('p2pdv://video/0x12')), 'ERR_BAD_LINK')
  })

  it('refuses incomplete or foreign input with ERR_BAD_CAPABILITY', () => {
    assert.equal(code(() => watchPathFor(cap.split('#')[0]!)), 'ERR_BAD_CAPABILITY')
    assert.equal(code(() => watchPathFor(`http://x/watch/${cid.toString()}#short`)), 'ERR_BAD_CAPABILITY')
    assert.equal(code(() => watchPathFor('http://x/elsewhere')), 'ERR_BAD_CAPABILITY')
    assert.equal(code(() => watchPathFor('hello')), 'ERR_BAD_CAPABILITY')
  })

  it('turns a live link into /watch/live/<stream>#<key>, and refuses a broken one with ERR_BAD_LIVE_LINK', () => {
    const stream = 'ab'.repeat(32)
    const secret = 'A'.repeat(43)
    assert.equal(watchPathFor(` p2pdv://live/${stream.toUpperCase()}#${secret}\n`), `/watch/live/${stream}#${secret}`)
    assert.equal(liveFromPath(`/watch/live/${stream}`), stream)
    assert.equal(liveFromPath('/watch/live/../../x'), undefined)
    assert.equal(code(() => watchPathFor(`p2pdv://live/${stream}`)), 'ERR_BAD_LIVE_LINK')
    assert.equal(code(() => watchPathFor(`p2pdv://live/12#${secret}`)), 'ERR_BAD_LIVE_LINK')
  })

  it('reads the key from the fragment, with a code when it is missing', async () => {
    const k = await new FragmentKeySource(`#${key}`).key(cid)
    assert.equal(k.byteLength, 32)
    await assert.rejects(new FragmentKeySource('').key(cid), (e: unknown) => isP2pdvError(e, 'ERR_KEY_MISSING'))
  })
})

describe('seek thumbnails', () => {
  it('maps a time to its sheet and tile, clamped to the grid', () => {
    const grid = { intervalSeconds: 2, tileWidth: 160, tileHeight: 90, columns: 5, rows: 5, sheets: [0, 1] }
    assert.deepEqual(tileAt(grid, 0), { sheet: 0, x: 0, y: 0 })
    assert.deepEqual(tileAt(grid, 13), { sheet: 0, x: 160, y: 90 })
    assert.deepEqual(tileAt(grid, 50), { sheet: 1, x: 0, y: 0 })
    assert.deepEqual(tileAt(grid, 10_000), { sheet: 1, x: 640, y: 360 })
    assert.deepEqual(tileAt(grid, -3), { sheet: 0, x: 0, y: 0 })
  })
})

describe('web app bundle', () => {
  it('builds in process: one page with no inline code, hashed same-origin assets', async () => {
    const app = await buildWebApp()
    assert.doesNotMatch(app.html, /<script(?![^>]*\bsrc="\/assets\/)[^>]*>/)
    assert.doesNotMatch(app.html, /\sstyle=|\son[a-z]+=/i)
    const refs = [...app.html.matchAll(/(?:src|href)="([^"]+)"/g)].map(m => m[1]!)
    assert.ok(refs.length >= 3)
    for (const r of refs) {
      assert.match(r, /^\/assets\//)
      assert.ok(app.assets.has(r.slice('/assets/'.length)), `${r} is served`)
    }
    const js = [...app.assets.keys()].find(n => /^app-[A-Z0-9]+\.js$/.test(n))
    assert.ok(js !== undefined)
    // The browser build opens chunks with WebCrypto, never node:crypto.
    const text = (name: string): string => new TextDecoder().decode(app.assets.get(name)!.body)
    const all = [...app.assets.keys()].filter(n => n.endsWith('.js')).map(text).join('\n')
    assert.match(all, /crypto\.subtle/)
    assert.doesNotMatch(all, /node:crypto|createDecipheriv/)
    // The keeper and chain code is a chunk of its own, loaded only for video links.
    assert.match(all, /eth_signTypedData_v4/)
    assert.doesNotMatch(text(js), /eth_signTypedData_v4/)
    // The viewer swarm (libp2p, WebRTC) loads after the first frame: in no script the page names.
    assert.match(all, /\/p2pdv\/share\/1\.0\.0/)
    for (const r of refs.filter(r => r.endsWith('.js'))) assert.doesNotMatch(text(r.slice('/assets/'.length)), /\/p2pdv\/share\/1\.0\.0/, `${r} has no swarm code`)
    // The channel page is a chunk of its own, loaded when a channel is opened.
    assert.match(all, /channel-links/)
    assert.doesNotMatch(text(js), /channel-links/)
  })

  it('makes anchors of https profile links only', async () => {
    const { safeLinkHref } = await import('../src/app/discover/api.ts')
    assert.equal(safeLinkHref('https://example.org/a'), 'https://example.org/a')
    for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,x', 'http://example.org/', '//evil.example/', 'https://example.org/a b', 'https://u:p@example.org/']) {
      assert.equal(safeLinkHref(bad), undefined, bad)
    }
  })

  it('gives each route its own page: the player (hls.js) is preloaded on watch pages and absent from the others', async () => {
    const app = await buildWebApp()
    const text = (name: string): string => new TextDecoder().decode(app.assets.get(name)!.body)
    const scripts = (html: string): string[] => [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map(m => m[1]!)
    const hasPlayer = (html: string): boolean => scripts(html).some(n => /hlsManifestParsed/.test(text(n)))
    assert.ok([...app.assets.keys()].some(n => n.endsWith('.js') && /hlsManifestParsed/.test(text(n))), 'hls.js is in the bundle')
    for (const path of ['/watch/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', '/watch/video/0x' + '1'.repeat(64), '/watch/live/abc']) {
      assert.equal(hasPlayer(app.htmlFor(path)), true, `${path} preloads the player`)
    }
    for (const path of ['/', '/search', '/library', '/settings', '/node', '/channel/0x' + 'a'.repeat(40)]) {
      assert.equal(hasPlayer(app.htmlFor(path)), false, `${path} loads no player`)
      for (const n of scripts(app.htmlFor(path))) assert.ok(app.assets.has(n), `${n} is served`)
    }
    assert.equal(app.html, app.htmlFor('/'))
    // A path the app does not know is the home page (the node serves pages for its routes only).
    assert.equal(app.htmlFor('/nowhere'), app.htmlFor('/'))
  })
})
