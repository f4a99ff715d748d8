// Assembles the committed WebAssembly text sources into TypeScript modules that embed the bytes
// (base64), so the runtime needs no build step and no .wasm file loading (browsers and Node alike).
// `npm run build:wasm -w packages/core` rewrites them; core's tests re-assemble and fail on drift.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import wabt from 'wabt'

export interface WasmVariant {
  /** The exported constant that holds this variant's bytes (base64). */
  exportName: string
  /** Turns the committed source into this variant's source (identity for the plain one). */
  transform: (wat: string) => string
  /** Needs the relaxed-SIMD proposal to validate. */
  relaxed: boolean
}

/** Each WAT source, the generated module beside it, and the variants assembled from it. */
export const WASM_SOURCES = [
  {
    wat: new URL('../packages/core/src/erasure/gf256-simd.wat', import.meta.url),
    module: new URL('../packages/core/src/erasure/gf256-simd.wasm.ts', import.meta.url),
    variants: [
      { exportName: 'GF256_SIMD_WASM_BASE64', transform: (w: string) => w, relaxed: false },
      // The same kernel with i8x16.relaxed_swizzle: one pshufb on x86 instead of a saturating add
      // and a pshufb. Its indices are always 0..15, where relaxed swizzle is fully specified, so
      // the output is identical; engines without relaxed SIMD reject it and get the plain one.
      { exportName: 'GF256_RELAXED_SIMD_WASM_BASE64', transform: (w: string) => w.replaceAll('i8x16.swizzle', 'i8x16.relaxed_swizzle'), relaxed: true }
    ] satisfies WasmVariant[]
  }
]

export async function assembleWat (source: string, filename: string, relaxed = false): Promise<Uint8Array> {
  const tools = await wabt()
  const mod = tools.parseWat(filename, source, { simd: true, relaxed_simd: relaxed })
  try {
    mod.validate()
    return mod.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer
  } finally {
    mod.destroy()
  }
}

/** The generated module's text for one source: every variant's bytes, assembled now. */
export async function generateModule (source: typeof WASM_SOURCES[number]): Promise<{ text: string, sizes: number[] }> {
  const watPath = fileURLToPath(source.wat)
  const wat = readFileSync(watPath, 'utf8')
  const name = watPath.split('/').pop()!
  let text = `// Generated from ${name} by scripts/assemble-wasm.ts — do not edit; run \`npm run build:wasm -w packages/core\`.\n`
  const sizes: number[] = []
  for (const v of source.variants) {
    const bytes = await assembleWat(v.transform(wat), watPath, v.relaxed)
    sizes.push(bytes.byteLength)
    const lines = Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? []
    text += `\nexport const ${v.exportName} =\n${lines.map(l => `  '${l}'`).join(' +\n')}\n`
  }
  return { text, sizes }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const s of WASM_SOURCES) {
    const { text, sizes } = await generateModule(s)
    writeFileSync(s.module, text)
    process.stdout.write(`${fileURLToPath(s.module)}: ${sizes.join(' + ')} bytes\n`)
  }
}
