/**
 * The swarm code for Node processes (`p2pdv watch`, the offload bench), loaded from one esbuild
 * bundle instead of ~900 modules. Importing `@p2pdv/sdk/swarm` module by module cost 0.8–1.2 s
 * of CPU (measured on the 2-core box: type stripping and ESM linking of libp2p's many files), on
 * the event loop that serves the player, while the bundle loads in ~0.1–0.15 s once the rest of
 * the client is loaded. The page has always loaded a bundled chunk; this gives Node the same.
 *
 * The bundle lives in `node_modules/.cache/p2pdv/` beside the dependencies it was built from
 * (same owner, same trust), with an index of every input file's path, size and mtime: a changed
 * or upgraded file (an edit, `npm install`) fails the check and the bundle is built again, so a
 * stale bundle never runs. `@p2pdv/*` and multiformats stay outside the bundle: they are loaded by
 * the client already, and one copy of them keeps `instanceof P2pdvError` and CIDs working across
 * the boundary. Without esbuild, a writable cache or a working build, the modules are imported as
 * before. `P2PDV_SWARM_BUNDLE=off` forces that too.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { isAbsolute, join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

type SwarmModule = typeof import('./swarm/index.ts')

const ENTRY = fileURLToPath(new URL('./swarm/index.ts', import.meta.url))
const INDEX_VERSION = 1
/** Kept outside the bundle: shared with the rest of the process (identity) or native. */
const EXTERNAL = ['@p2pdv/*', 'multiformats', 'multiformats/*', 'node-datachannel', '@node-datachannel/*']

interface BundleIndex {
  version: number
  entry: string
  bundle: string
  /** Every bundled file: [absolute path, size, mtime in ms]. */
  inputs: Array<[string, number, number]>
}

let loading: Promise<SwarmModule> | undefined

/** The swarm module for this process (bundled when it can be; the modules otherwise). */
export async function importSwarm (): Promise<SwarmModule> {
  loading ??= load()
  return await loading
}

async function load (): Promise<SwarmModule> {
  if (process.env.P2PDV_SWARM_BUNDLE === 'off') return await import('./swarm/index.ts')
  try {
    return await importBundled(ENTRY, cacheDir(), 'swarm-node') as SwarmModule
  } catch {
    // No esbuild, a read-only install, a failed build: the modules, as they are.
    return await import('./swarm/index.ts')
  }
}

/** `<node_modules>/.cache/p2pdv`, where esbuild itself is installed. */
function cacheDir (): string {
  const esbuild = createRequire(import.meta.url).resolve('esbuild')
  const at = esbuild.lastIndexOf(`${sep}node_modules${sep}`)
  if (at < 0) throw new Error('esbuild is not under a node_modules directory')
  return join(esbuild.slice(0, at), 'node_modules', '.cache', 'p2pdv')
}

/**
 * `entry` bundled into `dir` as `<name>-<hash>.mjs` (built now unless a bundle of unchanged inputs
 * is there), imported. Throws when it cannot build: the caller imports the modules instead.
 */
export async function importBundled (entry: string, dir: string, name: string): Promise<unknown> {
  const bundle = await freshBundle(entry, dir, name) ?? await buildBundle(entry, dir, name)
  return await import(pathToFileURL(bundle).href)
}

/** The cached bundle if every file it was built from is unchanged. */
async function freshBundle (entry: string, dir: string, name: string): Promise<string | undefined> {
  let index: BundleIndex
  try {
    index = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as BundleIndex
  } catch {
    return undefined
  }
  if (index.version !== INDEX_VERSION || index.entry !== entry || !Array.isArray(index.inputs) || typeof index.bundle !== 'string') return undefined
  const same = await Promise.all(index.inputs.map(async ([path, size, mtime]) => {
    try {
      const s = await stat(path)
      return s.size === size && s.mtimeMs === mtime
    } catch {
      return false
    }
  }))
  if (!same.every(Boolean)) return undefined
  const bundle = join(dir, index.bundle)
  try {
    await stat(bundle)
    return bundle
  } catch {
    return undefined
  }
}

/**
 * Builds the bundle (named by its content hash) and its index, each written under a temporary
 * name and renamed, so a reader sees whole files; then removes older bundles.
 */
async function buildBundle (entry: string, dir: string, base: string): Promise<string> {
  const { build } = await import('esbuild')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tag = `${process.pid}-${Date.now().toString(36)}`
  const cwd = process.cwd()
  const result = await build({
    absWorkingDir: cwd,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: EXTERNAL,
    // Bundled CommonJS dependencies call require(); ESM output has none of its own.
    banner: { js: "import { createRequire as __p2pdvRequire } from 'node:module'; const require = __p2pdvRequire(import.meta.url);" },
    outfile: join(dir, `${base}.mjs`)
  })
  const out = result.outputFiles[0]
  if (out === undefined) throw new Error('esbuild wrote no bundle')
  const inputs: BundleIndex['inputs'] = await Promise.all(Object.keys(result.metafile.inputs).map(async rel => {
    const path = isAbsolute(rel) ? rel : join(cwd, rel)
    const s = await stat(path)
    return [path, s.size, s.mtimeMs] as [string, number, number]
  }))
  const name = `${base}-${createHash('sha256').update(out.contents).digest('hex').slice(0, 16)}.mjs`
  const bundle = join(dir, name)
  await writeFile(`${bundle}.${tag}.tmp`, out.contents, { mode: 0o600 })
  await rename(`${bundle}.${tag}.tmp`, bundle)
  const index: BundleIndex = { version: INDEX_VERSION, entry, bundle: name, inputs }
  const indexPath = join(dir, `${base}.json`)
  await writeFile(`${indexPath}.${tag}.tmp`, JSON.stringify(index), { mode: 0o600 })
  await rename(`${indexPath}.${tag}.tmp`, indexPath)
  await removeOldBundles(dir, base, name)
  return bundle
}

/** Bundles other than `keep`, once a minute old (a process may be about to import a newer one). */
async function removeOldBundles (dir: string, base: string, keep: string): Promise<void> {
  for (const f of await readdir(dir)) {
    if (f === keep || !f.startsWith(`${base}-`) || !f.endsWith('.mjs')) continue
    const path = join(dir, f)
    try {
      if (Date.now() - (await stat(path)).mtimeMs > 60_000) await unlink(path)
    } catch { /* gone already */ }
  }
}
