#!/usr/bin/env node
// Entry point. Node 24 strips TypeScript types at load; the compile cache keeps the result (and
// V8's code cache) on disk, so later runs start much faster. It must be on before anything loads.
import { enableCompileCache } from 'node:module'

enableCompileCache()
await import('./main.ts')
