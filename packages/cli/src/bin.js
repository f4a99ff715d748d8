#!/usr/bin/env node
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
