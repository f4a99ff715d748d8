// Runs every package's tests with node's own test runner, on the Node 24 that the project brings.
// `npm test -- core node` limits the run to those packages; `--only-unit` skips `*.int.test.ts`.
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

const args = process.argv.slice(2)
const onlyUnit = args.includes('--only-unit')
const packages = args.filter(a => !a.startsWith('--'))
const pattern = packages.length > 0 ? `packages/{${packages.join(',')},}/test/**/*.test.ts` : 'packages/*/test/**/*.test.ts'
const files = globSync(pattern)
  .filter(f => !onlyUnit || !f.endsWith('.int.test.ts'))
  .sort()

if (files.length === 0) {
  process.stderr.write(`no test files match ${pattern}\n`)
  process.exit(1)
}

const result = spawnSync(process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=600000',
  ...files
], { stdio: 'inherit' })
process.exit(result.status ?? 1)
