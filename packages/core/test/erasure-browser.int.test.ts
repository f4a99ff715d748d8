// The browser build of core/erasure in real headless Chromium: `#erasure` resolves to the browser
// entry, which must load the WebAssembly SIMD kernel there and give the portable coder's parity.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'

const ENTRY = `
import { erasureBackend, pureBackend, encodeStripe, reconstructStripe } from '@p2pdv/core/erasure'
globalThis.runErasure = () => {
  const k = 4, m = 2, size = 70000
  const blocks = Array.from({ length: k }, (_, i) => Uint8Array.from({ length: size - i * 13 }, (_, j) => (j * 131 + i * 17 + (j >> 3)) & 255))
  const parity = encodeStripe({ k, m }, blocks)
  const reference = encodeStripe({ k, m }, blocks, pureBackend)
  const hex = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('')
  const rebuilt = reconstructStripe({ k, m }, [undefined, blocks[1], undefined, blocks[3], ...parity], blocks.map(b => b.length), [0, 2])
  return {
    backend: erasureBackend.name,
    sameParity: parity.every((p, i) => hex(p) === hex(reference[i])),
    rebuilt: hex(rebuilt[0]) === hex(blocks[0]) && hex(rebuilt[1]) === hex(blocks[2])
  }
}
`

describe('erasure in a browser (headless Chromium)', () => {
  let browser: Browser
  before(async () => {
    // launch() gives the browser a fresh temporary profile of its own.
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
  })
  after(async () => {
    await browser?.close()
  })

  it('runs the SIMD kernel in the page, with parity identical to the portable coder', async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: import.meta.dirname, loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      conditions: ['browser']
    })
    const page = await browser.newPage()
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text })
    const result = await page.evaluate(() => (globalThis as unknown as { runErasure: () => { backend: string, sameParity: boolean, rebuilt: boolean } }).runErasure())
    assert.match(result.backend, /^wasm-/)
    assert.equal(result.sameParity, true)
    assert.equal(result.rebuilt, true)
  })
})
