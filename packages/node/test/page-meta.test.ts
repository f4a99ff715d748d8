// A node started with --p2p-default off tells its pages so in a meta tag (web: watch/p2p.ts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { P2P_DEFAULT_META, withPageMeta } from '../src/http-api.ts'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('withPageMeta', () => {
  it('adds the meta tag at the end of the head, once, and leaves the rest of the page as it was', () => {
    const page = '<!doctype html>\n<html><head>\n<title>t</title>\n</head>\n<body><p>&lt;/head&gt;</p></body></html>'
    const out = text(withPageMeta(new TextEncoder().encode(page), P2P_DEFAULT_META, 'off'))
    assert.equal(out, page.replace('</head>', '<meta name="p2pdv-p2p-default" content="off">\n</head>'))
    assert.equal(out.split('p2pdv-p2p-default').length, 2)
  })

  it('returns a page without a head unchanged', () => {
    const page = new TextEncoder().encode('<p>no head</p>')
    assert.equal(withPageMeta(page, P2P_DEFAULT_META, 'off'), page)
  })
})
