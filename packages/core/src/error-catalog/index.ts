/**
 * The error catalog: every code the project throws, with the HTTP status any API answers it with
 * and a default hint. Areas keep their own tables (small files, fewer merge conflicts); this
 * composes them. `httpStatusOf` is the one place a code becomes a status: node API, block routes,
 * audit routes, keeper, player loader and gateway all ask it. docs/errors.md is generated from it
 * (scripts/error-table.ts); a test fails when a thrown code has no entry or the table drifts.
 */
import { CHAIN_ERRORS } from './chain.ts'
import { CLIENT_ERRORS } from './client.ts'
import { DISCOVERY_ERRORS } from './discovery.ts'
import { KEY_ERRORS } from './keys.ts'
import { LIVE_ERRORS } from './live.ts'
import { NODE_ERRORS } from './node.ts'
import { RECEIPT_ERRORS } from './receipts.ts'
import type { ErrorSpec, ErrorTable } from './spec.ts'
import { STORAGE_ERRORS } from './storage.ts'

export type { ErrorSpec, ErrorTable } from './spec.ts'

/** Each area once; the catalog test checks no code is in two areas (a spread would hide it). */
export const ERROR_AREAS = {
  storage: STORAGE_ERRORS,
  keys: KEY_ERRORS,
  chain: CHAIN_ERRORS,
  node: NODE_ERRORS,
  client: CLIENT_ERRORS,
  live: LIVE_ERRORS,
  discovery: DISCOVERY_ERRORS,
  receipts: RECEIPT_ERRORS
} as const

export const ERROR_CATALOG = {
  ...STORAGE_ERRORS,
  ...KEY_ERRORS,
  ...CHAIN_ERRORS,
  ...NODE_ERRORS,
  ...CLIENT_ERRORS,
  ...LIVE_ERRORS,
  ...DISCOVERY_ERRORS,
  ...RECEIPT_ERRORS
} as const satisfies ErrorTable

export type ErrorCode = keyof typeof ERROR_CATALOG

/**
 * Codes built at run time: `ERR_CHAIN_<REVERT>` from a contract's custom error (sdk chain/errors.ts)
 * and `ERR_HTTP_<status>` for a peer's unexplained HTTP answer. Listed entries win over a family.
 */
export const ERROR_FAMILIES = [
  { prefix: 'ERR_CHAIN_', status: 409, hint: 'The contract refused the call; the message names its reason.' },
  { prefix: 'ERR_HTTP_', status: 502, hint: 'A peer answered with this HTTP status and no error code.' }
] as const satisfies ReadonlyArray<{ prefix: string } & ErrorSpec>

/** Status for codes nobody catalogued (from another version of the software): a server fault. */
export const UNKNOWN_ERROR_STATUS = 500

export function isErrorCode (code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, code)
}

export function errorSpecOf (code: string): ErrorSpec | undefined {
  if (isErrorCode(code)) return ERROR_CATALOG[code]
  return ERROR_FAMILIES.find(f => code.startsWith(f.prefix))
}

/** The HTTP status every API answers `code` with. */
export function httpStatusOf (code: string): number {
  return errorSpecOf(code)?.status ?? UNKNOWN_ERROR_STATUS
}

/** The catalog's hint for `code`, for errors thrown without one of their own. */
export function hintOf (code: string): string | undefined {
  return errorSpecOf(code)?.hint
}
