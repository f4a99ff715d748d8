// Runs one storage node: `node main.ts --data DIR …` (what the devnet spawns).
// The compile cache keeps type-stripped sources and V8 code on disk for fast restarts.
import { enableCompileCache } from 'node:module'

enableCompileCache()
const { runDaemon } = await import('./daemon.ts')
await runDaemon(process.argv.slice(2))
