/**
 * `/settings`: what this browser shows and shares — the highest content rating (optionally locked
 * with a PIN) and peer-to-peer delivery. Kept in this browser only (preferences.ts).
 */
import { useEffect, useState, type ReactElement } from 'react'
import { TopBar } from '../TopBar.tsx'
import { p2pAllowed, p2pChosen, setP2pAllowed } from '../watch/p2p.ts'
import { clearPin, maxRating, pinSet, PreferenceError, RATINGS, setMaxRating, setPin } from './preferences.ts'

type Note = { ok: boolean, text: string } | undefined

function messageOf (e: unknown): string {
  return e instanceof PreferenceError ? `${e.message} [${e.code}]` : (e as Error).message
}

export function SettingsPage (): ReactElement {
  const [rating, setRating] = useState(() => maxRating())
  const [chosen, setChosen] = useState(() => maxRating())
  const [locked, setLocked] = useState(() => pinSet())
  const [pin, setPinInput] = useState('')
  const [newPin, setNewPin] = useState('')
  const [confirm, setConfirm] = useState('')
  const [p2p, setP2p] = useState(() => p2pAllowed())
  const [note, setNote] = useState<Note>()
  const [busy, setBusy] = useState(false)
  useEffect(() => { document.title = 'Settings · P2PDEVIDEO' }, [])

  const run = async (work: () => Promise<void>, done: string): Promise<void> => {
    setBusy(true)
    setNote(undefined)
    try {
      await work()
      setNote({ ok: true, text: done })
      setPinInput('')
      setNewPin('')
      setConfirm('')
    } catch (e) {
      setNote({ ok: false, text: messageOf(e) })
    } finally {
      setBusy(false)
      setRating(maxRating())
      setLocked(pinSet())
    }
  }

  const saveRating = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    void run(async () => { await setMaxRating(chosen, pin) }, chosen === RATINGS.length - 1 ? 'Every video is shown.' : `Videos rated above ${RATINGS[chosen]} are hidden.`)
  }
  const savePin = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    if (newPin !== confirm) { setNote({ ok: false, text: 'The two PINs differ.' }); return }
    void run(async () => { await setPin(newPin, pin) }, locked ? 'PIN changed.' : 'PIN set: the rating limit now needs it to change.')
  }

  return (
    <div className='page settings'>
      <TopBar />
      <main className='settings-main'>
        <h1>Settings</h1>
        <p className='muted'>Kept in this browser only; nothing here is sent to any node.</p>
        {note !== undefined && <p className={`settings-note ${note.ok ? 'ok' : 'bad'}`} role={note.ok ? 'status' : 'alert'}>{note.text}</p>}

        <section className='settings-card' aria-labelledby='rating-h'>
          <h2 id='rating-h'>Content rating</h2>
          <p className='muted'>Creators rate their videos. Videos rated above your choice are left out of the home page and search, and their watch pages do not play them.</p>
          <form onSubmit={saveRating}>
            <fieldset className='rating-choice' disabled={busy}>
              <legend>Show videos rated up to</legend>
              {RATINGS.map((r, i) => (
                <label key={r} className={chosen === i ? 'on' : ''}>
                  <input type='radio' name='rating' value={i} checked={chosen === i} onChange={() => { setChosen(i) }} /> {r}
                </label>
              ))}
            </fieldset>
            <div className='settings-row'>
              {locked && <label>PIN<input type='password' inputMode='numeric' autoComplete='off' value={pin} onInput={e => { setPinInput(e.currentTarget.value) }} maxLength={8} /></label>}
              <button type='submit' className='primary' disabled={busy || chosen === rating}>Save</button>
            </div>
          </form>
          <p className='muted small' data-max-rating={rating}>Now: {rating === RATINGS.length - 1 ? 'everything is shown' : `up to ${RATINGS[rating]}`}{locked ? ' · locked with a PIN' : ''}.</p>
        </section>

        <section className='settings-card' aria-labelledby='pin-h'>
          <h2 id='pin-h'>PIN lock</h2>
          <p className='muted'>A PIN of 4 to 8 digits keeps the rating limit from being changed here. It is stored hashed. Clearing this site's data in the browser removes the PIN and the limit with it.</p>
          <form onSubmit={savePin} className='settings-row'>
            {locked && <label>Current PIN<input type='password' inputMode='numeric' autoComplete='off' value={pin} onInput={e => { setPinInput(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>}
            <label>{locked ? 'New PIN' : 'PIN'}<input type='password' inputMode='numeric' autoComplete='new-password' value={newPin} onInput={e => { setNewPin(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>
            <label>Repeat it<input type='password' inputMode='numeric' autoComplete='new-password' value={confirm} onInput={e => { setConfirm(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>
            <button type='submit' disabled={busy || newPin === ''}>{locked ? 'Change PIN' : 'Set PIN'}</button>
            {locked && <button type='button' disabled={busy || pin === ''} onClick={() => { void run(async () => { await clearPin(pin) }, 'PIN removed.') }}>Remove PIN</button>}
          </form>
        </section>

        <section className='settings-card' aria-labelledby='p2p-h'>
          <h2 id='p2p-h'>Peer-to-peer delivery</h2>
          <p className='muted'>While you watch, your browser can share the (always encrypted) video it holds with other viewers of the same video, and take it from them. They see your IP address while you exchange. {p2pChosen() ? '' : 'You have not chosen: this node\'s default applies.'}</p>
          <button type='button' role='switch' aria-checked={p2p} className='switch' onClick={() => { setP2pAllowed(!p2p); setP2p(!p2p) }}>
            Share with other viewers: {p2p ? 'on' : 'off'}
          </button>
        </section>
      </main>
    </div>
  )
}
