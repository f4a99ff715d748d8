/**
 * Names a contract revert. A call to one contract can fail inside another (the AccessManager
 * pulling P2PV fails in the token), so revert data is decoded against the custom errors of every
 * protocol contract and of OpenZeppelin's, not only the ABI that was called.
 */
import { BaseError, decodeErrorResult, type Abi, type Hex } from 'viem'

type AbiError = Extract<Abi[number], { type: 'error' }>
import * as abis from './generated/abis.ts'

/** Every custom error any protocol contract can raise, deduplicated by signature. */
export const protocolErrorsAbi: AbiError[] = (() => {
  const seen = new Map<string, AbiError>()
  for (const abi of Object.values(abis) as Abi[]) {
    for (const item of abi) {
      if (item.type !== 'error') continue
      const key = `${item.name}(${item.inputs.map(i => i.type).join(',')})`
      if (!seen.has(key)) seen.set(key, item)
    }
  }
  return [...seen.values()]
})()

export interface DecodedRevert {
  /** The custom error's name, e.g. "NotForSale"; "Error" for require strings, "Panic" for panics. */
  name: string
  args: readonly unknown[]
  /** The raw revert data. */
  data: Hex
}

function revertData (err: unknown): Hex | undefined {
  let e: unknown = err
  for (let depth = 0; e !== undefined && e !== null && depth < 12; depth++) {
    const o = e as { raw?: unknown, data?: unknown, cause?: unknown }
    if (typeof o.raw === 'string' && o.raw.startsWith('0x') && o.raw.length >= 10) return o.raw as Hex
    if (typeof o.data === 'string' && o.data.startsWith('0x') && o.data.length >= 10) return o.data as Hex
    e = o.cause
  }
  return undefined
}

/** The revert inside a viem error (or undefined when the failure was not a revert). */
export function decodeRevert (err: unknown): DecodedRevert | undefined {
  if (!(err instanceof BaseError) && !(err instanceof Error)) return undefined
  const data = revertData(err)
  if (data === undefined) return undefined
  try {
    const r = decodeErrorResult({ abi: protocolErrorsAbi, data })
    return { name: r.errorName, args: r.args ?? [], data }
  } catch {
    return { name: 'unknown', args: [], data }
  }
}
