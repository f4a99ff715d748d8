#!/usr/bin/env -S node --max-semi-space-size=4
// The young generation is capped at 4 MiB a semi-space: V8 otherwise grows it over a long upload
// (peak heap 31 -> 87 MB from a 256 MiB to a 2 GiB put), so peak RSS crept with the file's size.
// Devnet puts, peak RSS without -> with the cap: 1 GiB 210-228 -> 197-199 MB (client CPU +5%),
// 2 GiB 248 -> 199 MB; no change at 256 MiB. The flag only takes effect at start, hence here.
// Entry point, in plain JavaScript so that starting needs no type stripping: Node 24 strips
// TypeScript types at load, and the compile cache keeps the result (and V8's code cache) on disk
// for every module loaded after it is on. A .ts entry would be stripped before it could turn the
// cache on, which loads the stripper (amaro, WebAssembly) on every run: ~45 ms of each command.
import { enableCompileCache } from 'node:module'

const { directory } = enableCompileCache()
// Worker threads (sealing) and child processes (devnet nodes) turn the cache on from the
// environment, not from this call: without it each sealing worker took ~90 ms to start, not ~40.
if (directory !== undefined && process.env.NODE_COMPILE_CACHE === undefined) process.env.NODE_COMPILE_CACHE = directory
await import('./main.ts')
