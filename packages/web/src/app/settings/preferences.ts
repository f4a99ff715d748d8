/**
 * The viewer's own settings, kept in this browser only (localStorage; nothing is sent anywhere):
 * the highest content rating to show, an optional PIN that locks it (parental control), and the
 * interface language (i18n/index.ts).
 *
 * The PIN is stored as PBKDF2-SHA-256 (random salt, PIN_ITERATIONS), never as itself, and five
 * wrong tries lock it for PIN_LOCK_MS. It keeps a child from changing the setting in the app; it
 * cannot stop someone who clears the browser's site data (that also resets the setting to its
 * default, which shows everything — the page says so).
 */

/** Ratings as creators set them (the registry's 0–4). */
export const RATINGS = ['All ages', '7+', '13+', '16+', '18+'] as const
export const MAX_RATING = RATINGS.length - 1

export const PIN_ITERATIONS = 100_000
export const PIN_MAX_TRIES = 5
export const PIN_LOCK_MS = 60_000

const RATING_KEY = 'p2pdv.maxRating'
const PIN_KEY = 'p2pdv.pin'
const TRIES_KEY = 'p2pdv.pinTries'
const LANGUAGE_KEY = 'p2pdv.language'
/** The longest language tag kept (anything longer in storage is ignored). */
const MAX_LANGUAGE_LENGTH = 16

export type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

export class PreferenceError extends Error {
  readonly code: 'ERR_PIN_WRONG' | 'ERR_PIN_LOCKED' | 'ERR_PIN_FORMAT'
  constructor (code: PreferenceError['code'], message: string) {
    super(message)
    this.code = code
  }
}

/** The highest rating shown: MAX_RATING (everything) unless the viewer chose less. */
export function maxRating (store: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): number {
  const raw = store?.getItem(RATING_KEY) ?? ''
  return /^[0-9]$/.test(raw) && Number(raw) <= MAX_RATING ? Number(raw) : MAX_RATING
}

/** True when a video of this rating is hidden by the viewer's setting. */
export function hiddenByRating (rating: number, store?: Pick<Storage, 'getItem'>): boolean {
  return rating > maxRating(store)
}

/** The language the viewer chose in Settings (a tag as i18n/index.ts LOCALES names it), or undefined: follow the browser. */
export function storedLanguage (store: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): string | undefined {
  try {
    const raw = store?.getItem(LANGUAGE_KEY) ?? ''
    return /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(raw) && raw.length <= MAX_LANGUAGE_LENGTH ? raw : undefined
  } catch {
    return undefined
  }
}

/** Keeps the viewer's language (undefined: forget it and follow the browser again). Not PIN-locked. */
export function setStoredLanguage (language: string | undefined, store: Store = globalThis.localStorage): void {
  if (language === undefined) { store.removeItem(LANGUAGE_KEY); return }
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language) || language.length > MAX_LANGUAGE_LENGTH) throw new RangeError('not a language tag')
  store.setItem(LANGUAGE_KEY, language)
}

interface StoredPin { salt: string, hash: string, iterations: number }

function storedPin (store: Store): StoredPin | undefined {
  try {
    const p = JSON.parse(store.getItem(PIN_KEY) ?? 'null') as StoredPin | null
    if (p !== null && typeof p.salt === 'string' && typeof p.hash === 'string' && Number.isInteger(p.iterations) && p.iterations > 0) return p
  } catch {}
  return undefined
}

export function pinSet (store: Store = globalThis.localStorage): boolean {
  return storedPin(store) !== undefined
}

const b64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b))
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), c => c.charCodeAt(0))

async function derive (pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits'])
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations }, key, 256))
}

function checkFormat (pin: string): void {
  if (!/^[0-9]{4,8}$/.test(pin)) throw new PreferenceError('ERR_PIN_FORMAT', 'A PIN is 4 to 8 digits.')
}

/** Throws ERR_PIN_LOCKED after too many wrong tries, ERR_PIN_WRONG for a wrong PIN; no PIN set passes. */
export async function checkPin (pin: string, store: Store = globalThis.localStorage, now = Date.now()): Promise<void> {
  const p = storedPin(store)
  if (p === undefined) return
  const tries = JSON.parse(store.getItem(TRIES_KEY) ?? '{"n":0,"until":0}') as { n: number, until: number }
  if (tries.until > now) throw new PreferenceError('ERR_PIN_LOCKED', `Too many wrong PINs: try again in ${Math.ceil((tries.until - now) / 1000)} s.`)
  const got = await derive(pin, unb64(p.salt), p.iterations)
  const want = unb64(p.hash)
  let diff = got.length ^ want.length
  for (let i = 0; i < Math.min(got.length, want.length); i++) diff |= got[i]! ^ want[i]!
  if (diff !== 0) {
    const n = tries.n + 1
    store.setItem(TRIES_KEY, JSON.stringify(n >= PIN_MAX_TRIES ? { n: 0, until: now + PIN_LOCK_MS } : { n, until: 0 }))
    throw new PreferenceError(n >= PIN_MAX_TRIES ? 'ERR_PIN_LOCKED' : 'ERR_PIN_WRONG', n >= PIN_MAX_TRIES ? `Wrong PIN, ${PIN_MAX_TRIES} times: locked for ${PIN_LOCK_MS / 1000} s.` : 'Wrong PIN.')
  }
  store.removeItem(TRIES_KEY)
}

/** Sets the rating limit; with a PIN set, only with that PIN. */
export async function setMaxRating (rating: number, pin: string, store: Store = globalThis.localStorage): Promise<void> {
  if (!Number.isInteger(rating) || rating < 0 || rating > MAX_RATING) throw new RangeError(`rating must be 0–${MAX_RATING}`)
  await checkPin(pin, store)
  store.setItem(RATING_KEY, String(rating))
}

/** Sets (or changes, with the current PIN) the PIN. */
export async function setPin (pin: string, current: string, store: Store = globalThis.localStorage): Promise<void> {
  checkFormat(pin)
  await checkPin(current, store)
  const salt = crypto.getRandomValues(new Uint8Array(16))
  store.setItem(PIN_KEY, JSON.stringify({ salt: b64(salt), hash: b64(await derive(pin, salt, PIN_ITERATIONS)), iterations: PIN_ITERATIONS }))
}

/** Removes the PIN (with it). */
export async function clearPin (current: string, store: Store = globalThis.localStorage): Promise<void> {
  await checkPin(current, store)
  store.removeItem(PIN_KEY)
}
