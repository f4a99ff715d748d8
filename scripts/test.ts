// Runs every package's tests with node's own test runner, on the Node 24 that the project brings.
// `npm test -- core node` limits the run to those packages; `--only-unit` skips `*.int.test.ts`;
// `--typecheck` (what `npm test` passes) type-checks the whole tree alongside the tests.
import { spawn } from 'node:child_process'
import { globSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { finished } from 'node:stream/promises'
import { run } from 'node:test'
import { spec } from 'node:test/reporters'

const args = process.argv.slice(2)
const onlyUnit = args.includes('--only-unit')
const packages = args.filter(a => !a.startsWith('--'))
const pattern = packages.length > 0 ? `packages/{${packages.join(',')},}/test/**/*.test.ts` : 'packages/*/test/**/*.test.ts'
/**
 * The slowest files (a clean-clone CI run on 2 cores, 2026-12-07), started first: two files run
 * at a time, so a long one started last would run on alone at the end. Integration tests come
 * next and the short unit tests last, to fill the gaps. A renamed file only loses its place.
 */
const SLOWEST_FIRST = [
  'packages/cli/test/nemesis.int.test.ts',
  'packages/cli/test/keys.int.test.ts',
  'packages/web/test/wallet.int.test.ts',
  'packages/cli/test/put-get.int.test.ts',
  'packages/cli/test/chain.int.test.ts',
  'packages/web/test/watch.int.test.ts',
  'packages/cli/test/video.int.test.ts',
  'packages/cli/test/watch-p2p.int.test.ts',
  'packages/web/test/watch-p2p.int.test.ts',
  'packages/cli/test/live-keepers.int.test.ts',
  'packages/web/test/watch-live-keys.int.test.ts',
  'packages/web/test/discover.int.test.ts'
]
const rank = (f: string): number => {
  const slow = SLOWEST_FIRST.indexOf(f)
  return slow >= 0 ? slow : f.endsWith('.int.test.ts') ? SLOWEST_FIRST.length : SLOWEST_FIRST.length + 1
}
const files = globSync(pattern)
  .filter(f => !onlyUnit || !f.endsWith('.int.test.ts'))
  .sort()
  .sort((a, b) => rank(a) - rank(b))

if (files.length === 0) {
  process.stderr.write(`no test files match ${pattern}\n`)
  process.exit(1)
}

/**
 * tsc checks on one core for ~2 minutes; run before the tests, it left the other core idle that
 * long. Run beside them, its report is printed at the end and a type error fails the run.
 */
async function typecheck (): Promise<{ ok: boolean, output: string }> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', d => { output += String(d) })
  child.stderr.on('data', d => { output += String(d) })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { ok: code === 0, output }
}

const checking = args.includes('--typecheck') ? typecheck() : undefined
// run(), not `node --test`: the command line sorts the files by name, run() keeps this order.
const reporter = run({ files: files.map(f => resolve(f)), concurrency: 2, timeout: 600_000 })
  .on('test:fail', () => { process.exitCode = 1 })
  .compose(spec)
reporter.pipe(process.stdout)
await finished(reporter)
if (checking !== undefined) {
  const { ok, output } = await checking
  process.stdout.write(ok ? '\ntypecheck (tsc -p tsconfig.json): no errors\n' : `\ntypecheck (tsc -p tsconfig.json) failed:\n${output}`)
  if (!ok) process.exitCode = 1
}
