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
// By name: heavy integration files then spread over the run. Starting the slowest first (tried
// 2026-12-07) ran them against each other: each took longer (p2pdv keys 170 s → 263 s) and the
// run as a whole was no shorter.
const files = globSync(pattern)
  .filter(f => !onlyUnit || !f.endsWith('.int.test.ts'))
  .sort()

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
// run(), not `node --test`: one process runs both the tests and, beside them, the type check.
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
