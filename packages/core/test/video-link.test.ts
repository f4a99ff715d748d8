import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, formatCapability, formatVideoLink, generateContentKey, parseVideoLink, parseWatchLink } from '../src/index.ts'
import { generateVideoId } from '../src/keys/index.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

describe('watch links', () => {
  it('a video link round-trips with and without manifest and envelope, and carries no key', async () => {
    const video = generateVideoId()
    const manifest = await blockCid(new Uint8Array([1]))
    const envelope = await blockCid(new Uint8Array([2]))
    for (const l of [{ video }, { video, manifest }, { video, envelope }, { video, manifest, envelope }]) {
      const text = formatVideoLink(l)
      assert.ok(!text.includes('#'))
      const back = parseVideoLink(text)
      assert.equal(back.video, video)
      assert.equal(back.manifest?.toString(), l.manifest?.toString())
      assert.equal(back.envelope?.toString(), ('envelope' in l ? l.envelope : undefined)?.toString())
    }
  })

  it('tells capabilities and video links apart; old capabilities keep working', async () => {
    const cap = formatCapability({ manifest: await blockCid(new Uint8Array([3])), key: generateContentKey() })
    assert.equal(parseWatchLink(cap).kind, 'capability')
    assert.equal(parseWatchLink(formatVideoLink({ video: generateVideoId() })).kind, 'video')
  })

  it('refuses malformed video links with ERR_BAD_LINK', () => {
    const video = generateVideoId()
    for (const bad of [
      'p2pdv://video/0x1234',
      `p2pdv://video/${video}#secret`,
      `p2pdv://video/${video}?m=notacid`,
      `p2pdv://video/${video}?x=1`,
      `p2pdv://video/${video}?m=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy&m=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy`,
      `p2pdv://video/${'0x' + 'a'.repeat(600)}`
    ]) assert.throws(() => parseVideoLink(bad), code('ERR_BAD_LINK'), bad)
  })
})
