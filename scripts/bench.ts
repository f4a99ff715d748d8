// `npm run bench`: runs each package's benchmarks one after another (never in parallel, so they
// do not steal cores from each other). Every benchmark prints its figure beside a baseline
// measured in the same run, as a ratio. `npm run bench -- core` runs only that package's,
// `npm run bench -- live` only the benchmarks whose file name says live.
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'
import { basename } from 'node:path'

const names = process.argv.slice(2).filter(a => !a.startsWith('--'))
// A name is a package (`core`) or part of a benchmark's file name (`live` → live-latency.bench.ts).
const files = globSync('packages/*/bench/*.bench.ts').sort()
  .filter(f => names.length === 0 || names.some(n => f.startsWith(`packages/${n}/`) || basename(f).includes(n)))
let failed = 0
for (const file of files) {
  process.stdout.write(`\n## ${file}\n\n`)
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
if (failed > 0) process.exit(1)
