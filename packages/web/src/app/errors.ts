/**
 * What a person is told for each failure: a title, the stable code, and what to do next. Titles
 * and page hints are in the catalog (i18n); details and hints written by core/the node stay English.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { t, type MessageKey } from './i18n/index.ts'
import { en } from './i18n/en.ts'

export interface UserError {
  code: string
  title: string
  detail: string
  hint: string
}

/** Codes with a title of their own in the catalog (`err.<code>`; `hint.<code>` where the error's own hint is written for the CLI). */
function catalogKey (prefix: 'err' | 'hint', code: string): MessageKey | undefined {
  const key = `${prefix}.${code}`
  return /^ERR_[A-Z0-9_]+$/.test(code) && Object.hasOwn(en, key) ? key as MessageKey : undefined
}

export function userError (err: unknown): UserError {
  const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_INTERNAL', (err as Error)?.message ?? String(err))
  const title = catalogKey('err', e.code)
  const hint = catalogKey('hint', e.code)
  return {
    code: e.code,
    title: t(title ?? (e.code.startsWith('ERR_CHAIN_') ? 'err.contractRefused' : 'err.generic')),
    // The message (and a hint written by core or the node) stays as sent, in English; the code shows beside it.
    detail: e.message,
    hint: hint !== undefined ? t(hint) : e.hint ?? t('hint.generic')
  }
}
