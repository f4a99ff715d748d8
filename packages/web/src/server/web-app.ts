/**
 * The web app as a node serves it: the React app bundled by esbuild in this process, in memory,
 * on first request, then kept (a node builds it at most once per run). There is no build step
 * for a user to remember: `npm install && npm start` serves it, and the bundle always matches
 * the sources. Asset names carry a content hash, so they are cached as immutable.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** One file of the app (the shape the node's `WebApp` interface takes). */
export interface WebAsset { body: Uint8Array, type: string }

export interface WebApp {
  /** The HTML page for an app route (`/`, `/watch/<id>`): the same but for the chunks it preloads. */
  page: (path?: string) => Promise<WebAsset>
  /** A hashed asset by file name (`app-3HXJ….js`), or undefined. */
  asset: (name: string) => Promise<WebAsset | undefined>
}

export interface BuiltApp {
  /** The page of the home route (`htmlFor` has every route's). */
  html: string
  /** The page for a path: the entry, plus `modulepreload` of its route's chunks. */
  htmlFor: (path: string) => string
  assets: Map<string, WebAsset>
  buildMs: number
}

/**
 * Each route's page module (app/App.tsx `pageFor` imports it when the route opens), relative to
 * src/app. The page names the chunks of its route, so a watch page fetches the player beside the
 * entry script, not after it; the home page fetches no player at all.
 */
export const ROUTE_MODULES = {
  home: ['discover/Home.tsx'],
  search: ['discover/SearchPage.tsx'],
  channel: ['discover/ChannelPage.tsx'],
  library: ['library/LibraryPage.tsx'],
  settings: ['settings/SettingsPage.tsx'],
  node: ['node/NodePage.tsx'],
  watch: ['watch/WatchPage.tsx'],
  // With a rating limit the gate comes first (a small chunk; preloaded either way).
  'watch-video': ['watch/WatchPage.tsx', 'settings/RatingGate.tsx'],
  live: ['watch/LiveWatchPage.tsx']
} as const satisfies Record<string, readonly string[]>

export type RouteName = keyof typeof ROUTE_MODULES

/** A path of each route (for building its page). */
const ROUTE_PATHS: Record<RouteName, string> = {
  home: '/', search: '/search', channel: '/channel/x', library: '/library', settings: '/settings', node: '/node',
  watch: '/watch/x', 'watch-video': '/watch/video/x', live: '/watch/live/x'
}

/** The route of a page path, as `pageFor` in app/App.tsx decides it. */
export function routeOf (path: string): RouteName {
  if (path.startsWith('/watch/live/')) return 'live'
  if (path.startsWith('/watch/video/')) return 'watch-video'
  if (path.startsWith('/watch/')) return 'watch'
  if (path.startsWith('/channel/')) return 'channel'
  if (path === '/search' || path === '/library' || path === '/settings' || path === '/node') return path.slice(1) as RouteName
  return 'home'
}

const APP_ENTRY = fileURLToPath(new URL('../app/main.tsx', import.meta.url))
const BOOT_ENTRY = fileURLToPath(new URL('../app/boot.ts', import.meta.url))
const FAVICON = fileURLToPath(new URL('../app/favicon.svg', import.meta.url))
export const PREACT_ALIASES: Record<string, string> = {
  react: 'preact/compat',
  'react-dom': 'preact/compat',
  'react-dom/client': 'preact/compat/client',
  'react/jsx-runtime': 'preact/jsx-runtime'
}

/** Browsers with MSE, WebCrypto AES-GCM, ES2022: the last two years of each engine. */
export const BROWSER_TARGETS = ['chrome111', 'firefox115', 'safari16.4', 'edge111']

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json'
}

function typeOf (name: string): string {
  return TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream'
}

/** Bundles the app (minified, no source maps, no inline code) and renders its page. */
export async function buildWebApp (): Promise<BuiltApp> {
  const started = performance.now()
  // esbuild is loaded only when a page is first asked for: nodes that never serve one skip it.
  const { build } = await import('esbuild')
  const result = await build({
    // boot: a tiny first script that starts the watch page's requests (see app/boot.ts).
    entryPoints: { app: APP_ENTRY, boot: BOOT_ENTRY },
    bundle: true,
    // Code splitting: the chain client and keeper code load only for video links (keys).
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: BROWSER_TARGETS,
    minify: true,
    write: false,
    outdir: '/assets',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    // Preact runs the React code (hooks, useSyncExternalStore, createRoot) through preact/compat:
    // a tenth of react-dom's size, and on the watch page's critical path its first render and
    // every re-render cost far less main-thread time (time to first frame bench).
    alias: PREACT_ALIASES,
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent'
  })
  const assets = new Map<string, WebAsset>()
  for (const f of result.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1)
    assets.set(name, { body: f.contents, type: typeOf(name) })
  }
  const favicon = new Uint8Array(await readFile(FAVICON))
  assets.set('favicon.svg', { body: favicon, type: TYPES['.svg']! })
  const js = [...assets.keys()].find(n => n.startsWith('app-') && n.endsWith('.js'))
  const boot = [...assets.keys()].find(n => n.startsWith('boot-') && n.endsWith('.js'))
  const css = [...assets.keys()].find(n => n.startsWith('app-') && n.endsWith('.css'))
  if (js === undefined) throw new Error('the web app bundle has no script')
  // The entry's static imports and its route's chunks (with theirs) are named in the page, so
  // they download beside it instead of after it has been parsed.
  const outputs = result.metafile.outputs
  const entry = Object.keys(outputs).find(path => path.endsWith(`/${js}`))
  const pages = new Map<RouteName, string>()
  for (const [route, modules] of Object.entries(ROUTE_MODULES) as Array<[RouteName, readonly string[]]>) {
    const roots = modules.map(m => {
      const chunk = Object.keys(outputs).find(path => outputs[path]!.entryPoint?.endsWith(`src/app/${m}`) === true)
      if (chunk === undefined) throw new Error(`the web app bundle has no chunk for ${m}: is it still imported lazily by app/App.tsx?`)
      return chunk
    })
    const preloads = staticClosure(outputs, [...(entry === undefined ? [] : [entry]), ...roots])
      .filter(path => path !== entry)
      .map(path => path.slice(path.lastIndexOf('/') + 1))
    pages.set(route, renderPage({ script: js, boot, stylesheet: css, preloads }))
  }
  const htmlFor = (path: string): string => pages.get(routeOf(path))!
  return { html: htmlFor('/'), htmlFor, assets, buildMs: performance.now() - started }
}

type Outputs = Record<string, { imports: Array<{ path: string, kind: string }> }>

/** `roots` and every chunk they import statically, transitively; in first-seen order. */
function staticClosure (outputs: Outputs, roots: string[]): string[] {
  const seen = new Set<string>()
  const visit = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path)
  }
  for (const r of roots) visit(r)
  return [...seen]
}

/** The one HTML page: no inline script or style, nothing from another origin. */
export function renderPage ({ script, boot, stylesheet, preloads = [] }: { script: string, boot?: string | undefined, stylesheet?: string | undefined, preloads?: string[] }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="dark">',
    '<title>P2PDEVIDEO</title>',
    '<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">',
    stylesheet === undefined ? '' : `<link rel="stylesheet" href="/assets/${stylesheet}">`,
    boot === undefined ? '' : `<script type="module" async src="/assets/${boot}"></script>`,
    `<script type="module" src="/assets/${script}"></script>`,
    ...preloads.map(p => `<link rel="modulepreload" href="/assets/${p}">`),
    '</head>',
    '<body>',
    '<div id="root"></div>',
    '<noscript><p class="noscript">P2PDEVIDEO decrypts videos in your browser, so it needs JavaScript.</p></noscript>',
    '</body>',
    '</html>',
    ''
  ].filter(l => l !== '').join('\n')
}

/** The app for a node to serve: built on first use, then kept; a failed build is retried. */
export function createWebApp (): WebApp {
  let built: Promise<BuiltApp> | undefined
  // One body per route and build: the node keys per-body work (its P2P default) on the array.
  const bodies = new WeakMap<BuiltApp, Map<RouteName, Uint8Array>>()
  const encodedPage = (app: BuiltApp, route: RouteName): Uint8Array => {
    let byRoute = bodies.get(app)
    if (byRoute === undefined) bodies.set(app, byRoute = new Map())
    let body = byRoute.get(route)
    if (body === undefined) byRoute.set(route, body = new TextEncoder().encode(app.htmlFor(ROUTE_PATHS[route])))
    return body
  }
  const get = async (): Promise<BuiltApp> => {
    built ??= buildWebApp()
    try {
      return await built
    } catch (err) {
      built = undefined
      throw err
    }
  }
  return {
    page: async (path = '/') => ({ body: encodedPage(await get(), routeOf(path)), type: 'text/html; charset=utf-8' }),
    asset: async name => (await get()).assets.get(name)
  }
}
