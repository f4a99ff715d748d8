/**
 * A strength estimate for the passphrase of a NEW wallet (opening an existing one never checks:
 * it would lock people out of their own keys). No dependency: a documented, conservative entropy
 * estimate in the spirit of zxcvbn, not a replacement for it.
 *
 *   pool  = the sum of the classes the passphrase uses: a–z 26, A–Z 26, 0–9 10, anything else 33
 *   chars = characters that are neither a repeat of the one before nor the next/previous code
 *           point ("aaaa", "abcd", "4321" count as one), after removing very common words
 *   bits  = chars × log2(pool)
 *
 * A passphrase is accepted with at least MIN_PASSPHRASE_LENGTH characters and MIN_PASSPHRASE_BITS
 * bits: "correct horse battery staple" has ~135, "Summer2024!!" ~65, "password1234" ~5.
 */
import { P2pdvError } from '@p2pdv/core/errors'

export const MIN_PASSPHRASE_LENGTH = 12
export const MIN_PASSPHRASE_BITS = 50
export const WEAK_PASSPHRASE = 'ERR_WEAK_PASSPHRASE'

/** Fragments of the most common leaked passwords; each counts as nothing. */
const COMMON = ['password', 'passwort', 'qwerty', 'azerty', 'letmein', 'welcome', 'iloveyou', 'admin', 'monkey', 'dragon', 'football', 'baseball', 'abc123', '123456', 'p2pdv']

export function estimatePassphraseBits (passphrase: string): number {
  let pool = 0
  if (/[a-z]/.test(passphrase)) pool += 26
  if (/[A-Z]/.test(passphrase)) pool += 26
  if (/[0-9]/.test(passphrase)) pool += 10
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33
  if (pool === 0) return 0
  let rest = passphrase.toLowerCase()
  for (const w of COMMON) rest = rest.split(w).join('\u0000')
  let chars = 0
  let prev: number | undefined
  for (const ch of rest) {
    const c = ch.codePointAt(0)!
    if (c !== 0 && (prev === undefined || Math.abs(c - prev) > 1)) chars++
    prev = c
  }
  return chars * Math.log2(pool)
}

/** Throws ERR_WEAK_PASSPHRASE unless `passphrase` is long and varied enough for a new wallet. */
export function checkNewPassphrase (passphrase: string): void {
  const bits = estimatePassphraseBits(passphrase)
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH || bits < MIN_PASSPHRASE_BITS) {
    throw new P2pdvError(WEAK_PASSPHRASE, `the passphrase for a new wallet is too weak (${[...passphrase].length} characters, about ${Math.floor(bits)} bits; at least ${MIN_PASSPHRASE_LENGTH} characters and ${MIN_PASSPHRASE_BITS} bits are needed)`, {
      hint: 'Use four or more random words, or a long mix of letters, digits and symbols, with no repeats or runs like "aaaa" or "1234".'
    })
  }
}
