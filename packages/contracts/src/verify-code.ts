/**
 * Checks the code an RPC reports at an address against the compiled contract, so a deployment is
 * only written down once the chain really holds our contracts (an RPC that lies, or a chain whose
 * factory did something else, is caught here rather than by the first node that calls in).
 *
 * solc's creation bytecode carries the runtime code verbatim, with each `immutable` left as a
 * zero-filled 32-byte slot that the constructor fills in. So the deployed code must have exactly
 * the compiled runtime size and equal one segment of the creation bytecode at every byte that is
 * not zero there; only immutable slots (zeros in the template) may differ.
 */
import type { Hex } from 'viem'
import * as bytecode from './generated/bytecode.ts'

export type DeployedContractName = keyof typeof bytecode.deployedSizes

function hexBytes (hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex'))
}

function matchesAt (creation: Uint8Array, offset: number, code: Uint8Array): boolean {
  for (let i = 0; i < code.length; i++) {
    const t = creation[offset + i]!
    if (t !== 0 && t !== code[i]) return false
  }
  return true
}

/** True when `code` is the runtime code of `name` as compiled here (immutables excepted). */
export function isExpectedRuntimeCode (name: DeployedContractName, code: Hex | undefined): boolean {
  const size = bytecode.deployedSizes[name]
  if (code === undefined || code.length !== 2 + size * 2) return false
  const creation = hexBytes((bytecode as unknown as Record<string, string>)[`${name}Bytecode`]!)
  const runtime = hexBytes(code)
  // The template's offset is not recorded by the compile script; a scan costs a few ms, as a
  // wrong offset fails within a few bytes.
  for (let offset = 0; offset + size <= creation.length; offset++) {
    if (matchesAt(creation, offset, runtime)) return true
  }
  return false
}
