/**
 * The app's words: one typed catalog per language (en.ts is the source of keys; every other
 * locale has exactly its keys, checked by tsc and test/i18n.test.ts), and `t(key, params)`.
 *
 * - A message is a string with `{name}` placeholders, or plural forms chosen with
 *   Intl.PluralRules for the `count` parameter (`{ one: '{count} video', other: '{count} videos' }`).
 * - Numbers (and bigints) given as parameters are formatted with Intl for the active locale.
 * - The locale is chosen once per page load (`initLocale`, awaited by main.tsx before the first
 *   render): the viewer's choice in Settings, else the first supported of navigator.languages,
 *   else English. Changing it in Settings reloads the page.
 * - English is in the entry chunk; other catalogs are dynamic imports, so English pages never
 *   download them.
 *
 * Never call `t` at a module's top level: modules may be evaluated before the catalog is loaded.
 */
import { RATINGS, storedLanguage } from '../settings/preferences.ts'
import { en, type MessageKey } from './en.ts'

export type { MessageKey }

/** Plural forms (Intl.PluralRules categories); `other` is required. */
export interface PluralMessage { zero?: string, one?: string, two?: string, few?: string, many?: string, other: string }
export type Message = string | PluralMessage
export type Catalog = { readonly [K in MessageKey]: Message }

/** Supported locales, each named in its own language (the Settings select). */
export const LOCALES = { en: 'English', fr: 'Français' } as const
export type Locale = keyof typeof LOCALES

export function isLocale (s: unknown): s is Locale {
  return typeof s === 'string' && Object.hasOwn(LOCALES, s)
}

const loaders: Record<Locale, () => Promise<Catalog>> = {
  en: async () => en,
  fr: async () => (await import('./fr.ts')).fr
}

let active: Locale = 'en'
let catalog: Catalog = en

/** The active locale (a BCP 47 language tag the Intl APIs take). */
export function locale (): Locale {
  return active
}

/** The first supported locale: the stored choice, else the browser's languages in order, else English. */
export function pickLocale (languages: readonly string[] | undefined, stored?: string | undefined): Locale {
  if (isLocale(stored)) return stored
  for (const tag of languages ?? []) {
    const base = String(tag).toLowerCase().split('-')[0]
    if (isLocale(base)) return base
  }
  return 'en'
}

/** Makes `l` active with its catalog (tests pass a catalog; the app loads it). */
export function activateLocale (l: Locale, c: Catalog): void {
  active = l
  catalog = c
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

/** Picks and loads this page's locale; sets `<html lang>`. Falls back to English if the catalog fails to load. */
export async function initLocale (): Promise<Locale> {
  const l = pickLocale(globalThis.navigator?.languages, storedLanguage())
  try {
    activateLocale(l, await loaders[l]())
  } catch {
    activateLocale('en', en)
  }
  return active
}

const plurals = new Map<string, Intl.PluralRules>()
function pluralRules (l: string): Intl.PluralRules {
  let r = plurals.get(l)
  if (r === undefined) { r = new Intl.PluralRules(l); plurals.set(l, r) }
  return r
}

export type Params = Record<string, string | number | bigint>

/** The form of a message for these parameters (plural forms by `count`). */
export function pick (m: Message, params: Params | undefined, l: string = active): string {
  if (typeof m === 'string') return m
  const count = params?.count
  const n = typeof count === 'bigint' ? Number(count) : typeof count === 'number' ? count : Number.NaN
  const form = Number.isFinite(n) ? pluralRules(l).select(n) : 'other'
  return m[form] ?? m.other
}

/** A parameter as text: numbers and bigints in the locale's digits and separators. */
export function formatParam (v: string | number | bigint, l: string = active): string {
  return typeof v === 'string' ? v : formatNumber(v, l)
}

/** `key` in the active locale with `{name}` replaced by `params.name` (a missing key shows as itself). */
export function t (key: MessageKey, params?: Params): string {
  const m = catalog[key] ?? en[key] ?? key
  const text = pick(m, params)
  return params === undefined ? text : text.replace(/\{(\w+)\}/g, (all, name: string) => params[name] === undefined ? all : formatParam(params[name]!))
}

/** `1,234.5` / `1 234,5`. */
export function formatNumber (n: number | bigint, l: string = active, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(l, options).format(n)
}

/** A date (and time) in the active locale. */
export function formatDate (d: Date | number, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string {
  return new Intl.DateTimeFormat(active, options).format(d)
}

/** "3 days ago" / "il y a 3 jours" from seconds since 1970. */
export function formatAgo (seconds: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - seconds)
  const units: Array<[number, Intl.RelativeTimeFormatUnit]> = [[31_536_000, 'year'], [2_592_000, 'month'], [604_800, 'week'], [86_400, 'day'], [3600, 'hour'], [60, 'minute']]
  for (const [s, name] of units) if (d >= s) return new Intl.RelativeTimeFormat(active, { numeric: 'always' }).format(-Math.floor(d / s), name)
  return t('time.justNow')
}

/** Binary sizes (`1.5 MiB` / `1,5 Mio`): number in the locale, unit from the catalog. */
export function formatBytes (n: number): string {
  if (n < 1024) return t('bytes.B', { n: formatNumber(n) })
  const units = ['bytes.KiB', 'bytes.MiB', 'bytes.GiB', 'bytes.TiB'] as const
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return t(units[i]!, { n: formatNumber(v, active, { maximumFractionDigits: v >= 100 ? 0 : 1, minimumFractionDigits: v >= 100 ? 0 : 1 }) })
}

/** A content rating's label (`All ages`, `7+`, … as preferences.ts RATINGS numbers them). */
export function ratingLabel (rating: number): string {
  return rating === 0 ? t('rating.all') : RATINGS[rating] ?? String(rating)
}

/** The active locale's decimal mark (`.` / `,`), for exact decimals Intl cannot format (wei). */
export function decimalMark (l: string = active): string {
  return new Intl.NumberFormat(l).formatToParts(1.5).find(p => p.type === 'decimal')?.value ?? '.'
}
