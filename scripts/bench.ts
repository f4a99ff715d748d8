// `npm run bench`: runs each package's benchmarks one after another (never in parallel, so they
// do not steal cores from each other). Every benchmark prints its figure beside a baseline
// measured in the same run, as a ratio. `npm run bench -- core` runs only that package's.
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

const packages = process.argv.slice(2).filter(a => !a.startsWith('--'))
const pattern = packages.length > 0 ? `packages/{${packages.join(',')},}/bench/*.bench.ts` : 'packages/*/bench/*.bench.ts'
const files = globSync(pattern).sort()
let failed = 0
for (const file of files) {
  process.stdout.write(`\n## ${file}\n\n`)
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
if (failed > 0) process.exit(1)
