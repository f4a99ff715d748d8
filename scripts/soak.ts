// `npm run soak -- --minutes 30 [--seed N] [--nodes 6] [--json] [--keep] [--live-heap] [--no-faults]`: a fault-injection run
// on a fresh devnet (kill -9, SIGSTOP, restarts with the same command line) under put/get/check
// load, judged by the history checker. See docs/soak.md.
import { parseArgs } from 'node:util'
import { renderJson, renderText } from './soak/report.ts'
import { runSoak, SOAK_DEFAULTS } from './soak/run.ts'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: String(SOAK_DEFAULTS.nodes) },
    'max-down': { type: 'string', default: String(SOAK_DEFAULTS.nemesis.maxDown) },
    'max-bytes': { type: 'string', default: String(SOAK_DEFAULTS.maxBytes) },
    'no-faults': { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'live-heap': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }
  }
})

function num (name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a number from ${min} to ${max}\n`)
    process.exit(2)
  }
  return n
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : num('seed', values.seed, 0, 2 ** 32 - 1)
const result = await runSoak({
  ...SOAK_DEFAULTS,
  seed,
  minutes: num('minutes', values.minutes, 0.1, 24 * 60),
  nodes: num('nodes', values.nodes, 1, 32),
  maxBytes: num('max-bytes', values['max-bytes'], SOAK_DEFAULTS.minBytes, 1024 ** 3),
  // --no-faults: the same load with no nemesis (a steady-load memory baseline).
  nemesis: { ...SOAK_DEFAULTS.nemesis, maxDown: values['no-faults'] ? 0 : num('max-down', values['max-down'], 0, 32) },
  keep: values.keep,
  liveHeap: values['live-heap'],
  ...(values.dir === undefined ? {} : { dir: values.dir }),
  log: line => { process.stderr.write(line + '\n') }
})
process.stdout.write((values.json ? renderJson(result) : renderText(result)) + '\n')
process.exitCode = result.violations.length === 0 ? 0 : 1
