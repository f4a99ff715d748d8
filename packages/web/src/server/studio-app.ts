/**
 * The creator studio's pages, for `p2pdv studio` to serve from the creator's machine: bundled by
 * esbuild in memory on first request, like the node's app (web-app.ts), from its own entry, so
 * nothing of the studio ships to viewers and nothing of the player ships to the studio.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { BROWSER_TARGETS, PREACT_ALIASES, renderPage, type WebApp, type WebAsset } from './web-app.ts'

const STUDIO_ENTRY = fileURLToPath(new URL('../studio/main.tsx', import.meta.url))
const FAVICON = fileURLToPath(new URL('../app/favicon.svg', import.meta.url))

async function buildStudio (): Promise<{ html: string, assets: Map<string, WebAsset> }> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: { studio: STUDIO_ENTRY },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: BROWSER_TARGETS,
    minify: true,
    write: false,
    outdir: '/assets',
    entryNames: '[name]-[hash]',
    jsx: 'automatic',
    alias: PREACT_ALIASES,
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent'
  })
  const assets = new Map<string, WebAsset>()
  for (const f of result.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1)
    assets.set(name, { body: f.contents, type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' })
  }
  assets.set('favicon.svg', { body: new Uint8Array(await readFile(FAVICON)), type: 'image/svg+xml' })
  const script = [...assets.keys()].find(n => n.endsWith('.js'))
  if (script === undefined) throw new Error('the studio bundle has no script')
  const stylesheet = [...assets.keys()].find(n => n.endsWith('.css'))
  return { html: renderPage({ script, stylesheet }).replace('<title>P2PDEVIDEO</title>', '<title>Studio · P2PDEVIDEO</title>'), assets }
}

/** The studio pages: built on first use, then kept; a failed build is retried. */
export function createStudioApp (): WebApp {
  let built: Promise<{ html: string, assets: Map<string, WebAsset> }> | undefined
  const get = async (): Promise<{ html: string, assets: Map<string, WebAsset> }> => {
    built ??= buildStudio()
    try {
      return await built
    } catch (err) {
      built = undefined
      throw err
    }
  }
  return {
    page: async () => ({ body: new TextEncoder().encode((await get()).html), type: 'text/html; charset=utf-8' }),
    asset: async name => (await get()).assets.get(name)
  }
}
