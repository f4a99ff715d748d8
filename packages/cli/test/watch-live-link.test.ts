// Which texts `p2pdv watch` takes as a live stream, and how the watch page's URL becomes a live link.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isLiveWatchLink, splitLiveWatchLink } from '../src/commands/watch-live.ts'

const STREAM = 'ab'.repeat(32)
const KEY = 'A'.repeat(43)

describe('live links for p2pdv watch', () => {
  it('takes a p2pdv://live link as it is', () => {
    assert.equal(isLiveWatchLink(` p2pdv://live/${STREAM}#${KEY} `), true)
    assert.deepEqual(splitLiveWatchLink(`p2pdv://live/${STREAM}#${KEY}`), { link: `p2pdv://live/${STREAM}#${KEY}` })
  })

  it('turns the watch page URL into the live link and the node that served it', () => {
    const url = `http://127.0.0.1:7001/watch/live/${STREAM.toUpperCase()}#${KEY}`
    assert.equal(isLiveWatchLink(url), true)
    assert.deepEqual(splitLiveWatchLink(url), { link: `p2pdv://live/${STREAM}#${KEY}`, origin: 'http://127.0.0.1:7001' })
  })

  it('leaves video links, VOD watch URLs and oversized or odd URLs to the VOD path', () => {
    for (const text of [
      'p2pdv://video/123',
      `http://127.0.0.1:7001/watch/${STREAM}#${KEY}`,
      `http://127.0.0.1:7001/watch/live/${STREAM.slice(2)}#${KEY}`,
      `ftp://127.0.0.1/watch/live/${STREAM}#${KEY}`,
      `http://${'a'.repeat(600)}/watch/live/${STREAM}#${KEY}`,
      `http://127.0.0.1:7001/watch/live/${STREAM}?x=1#${KEY}`
    ]) assert.equal(isLiveWatchLink(text), false, text)
  })
})
