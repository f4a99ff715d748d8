// Runs one storage node: `node main.ts --data DIR …` (what `p2pdv node start` runs).
// The compile cache keeps type-stripped sources and V8 code on disk for fast restarts.
import { enableCompileCache } from 'node:module'

enableCompileCache()
await import('./daemon.ts')
