/**
 * The backend the `#erasure` import condition picks in browsers: the WebAssembly SIMD kernel where
 * the browser has SIMD and the page may compile WebAssembly (a CSP needs 'wasm-unsafe-eval'),
 * else the portable TypeScript coder. Both give identical parity, so a viewer's choice never
 * matters to anyone else.
 */
import { pureBackend } from './pure.ts'
import type { RsBackend } from './types.ts'
import { createWasmBackend } from './wasm.ts'

export const backend: RsBackend = createWasmBackend() ?? pureBackend
