/**
 * The backend the `#erasure` import condition picks in Node: the WebAssembly SIMD kernel (Node 24
 * has SIMD on by default), or the portable coder if this runtime was started without it.
 */
import { pureBackend } from './pure.ts'
import type { RsBackend } from './types.ts'
import { createWasmBackend } from './wasm.ts'

export const backend: RsBackend = createWasmBackend() ?? pureBackend
