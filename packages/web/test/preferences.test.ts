// The viewer's rating limit and its PIN lock (kept in localStorage), over an in-memory Storage.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkPin, clearPin, hiddenByRating, MAX_RATING, maxRating, PIN_MAX_TRIES, pinSet, setMaxRating, setPin, type Store } from '../src/app/settings/preferences.ts'

function memory (): Store & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) }, removeItem: k => { data.delete(k) } }
}

const code = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (e: { code?: string }) => e.code)

describe('viewer preferences', () => {
  it('shows everything until the viewer limits it; garbage in storage shows everything', async () => {
    const s = memory()
    assert.equal(maxRating(s), MAX_RATING)
    assert.equal(hiddenByRating(4, s), false)
    await setMaxRating(2, '', s)
    assert.equal(maxRating(s), 2)
    assert.deepEqual([hiddenByRating(2, s), hiddenByRating(3, s)], [false, true])
    for (const junk of ['9', '-1', '1.5', 'x', '']) {
      s.setItem('p2pdv.maxRating', junk)
      assert.equal(maxRating(s), MAX_RATING, junk)
    }
    await assert.rejects(setMaxRating(7, '', s), RangeError)
  })

  it('locks the limit with a PIN kept only as a salted hash; wrong PINs are refused, then locked out', async () => {
    const s = memory()
    assert.equal(await code(setPin('12ab', '', s)), 'ERR_PIN_FORMAT')
    assert.equal(await code(setPin('123', '', s)), 'ERR_PIN_FORMAT')
    await setPin('97531864', '', s)
    assert.equal(pinSet(s), true)
    assert.ok(![...s.data.values()].some(v => v.includes('97531864')), 'the PIN is not stored')
    await setMaxRating(1, '97531864', s)
    assert.equal(maxRating(s), 1)
    assert.equal(await code(setMaxRating(4, '00000000', s)), 'ERR_PIN_WRONG')
    assert.equal(maxRating(s), 1, 'a wrong PIN changes nothing')
    // Another PIN cannot be set over it without the current one.
    assert.equal(await code(setPin('1111', '2222', s)), 'ERR_PIN_WRONG')
    for (let i = 3; i < PIN_MAX_TRIES; i++) assert.equal(await code(checkPin('0000', s)), 'ERR_PIN_WRONG')
    assert.equal(await code(checkPin('0000', s)), 'ERR_PIN_LOCKED')
    assert.equal(await code(setMaxRating(4, '97531864', s)), 'ERR_PIN_LOCKED', 'even the right PIN waits out the lock')
    assert.equal(await code(checkPin('97531864', s, Date.now() + 61_000)), undefined, 'the lock ends')
    await clearPin('97531864', s)
    assert.equal(pinSet(s), false)
    await setMaxRating(4, '', s)
    assert.equal(maxRating(s), MAX_RATING)
  })
})
