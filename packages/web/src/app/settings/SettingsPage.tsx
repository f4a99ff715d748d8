/**
 * `/settings`: what this browser shows and shares — the highest content rating (optionally locked
 * with a PIN) and peer-to-peer delivery. Kept in this browser only (preferences.ts).
 */
import { useEffect, useState, type ReactElement } from 'react'
import { TopBar } from '../TopBar.tsx'
import { p2pAllowed, p2pChosen, setP2pAllowed } from '../watch/p2p.ts'
import { clearPin, maxRating, pinSet, PreferenceError, RATINGS, setMaxRating, setPin, setStoredLanguage, storedLanguage } from './preferences.ts'
import { isLocale, locale, LOCALES, pickLocale, ratingLabel, t, type Locale } from '../i18n/index.ts'

type Note = { ok: boolean, text: string } | undefined

function messageOf (e: unknown): string {
  return e instanceof PreferenceError ? `${t(`pin.${e.code}`)} [${e.code}]` : (e as Error).message
}

/** The language select: the browser's choice (nothing stored) or one locale; a change reloads the page in it. */
function LanguageSection (): ReactElement {
  const stored = storedLanguage()
  const value = isLocale(stored) ? stored : ''
  const browser = pickLocale(navigator.languages)
  const change = (v: string): void => {
    setStoredLanguage(v === '' ? undefined : v)
    window.location.reload()
  }
  return (
    <section className='settings-card' aria-labelledby='language-h'>
      <h2 id='language-h'>{t('settings.language')}</h2>
      <p className='muted'>{t('settings.languageText')}</p>
      <select id='language' aria-labelledby='language-h' value={value} data-locale={locale()} onChange={e => { change(e.currentTarget.value) }}>
        <option value=''>{t('settings.languageBrowser', { language: LOCALES[browser] })}</option>
        {(Object.entries(LOCALES) as Array<[Locale, string]>).map(([l, name]) => <option key={l} value={l} lang={l}>{name}</option>)}
      </select>
    </section>
  )
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
  useEffect(() => { document.title = t('app.pageTitle', { title: t('settings.docTitle') }) }, [])

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
    void run(async () => { await setMaxRating(chosen, pin) }, chosen === RATINGS.length - 1 ? t('settings.everyShown') : t('settings.aboveHidden', { rating: ratingLabel(chosen) }))
  }
  const savePin = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    if (newPin !== confirm) { setNote({ ok: false, text: t('settings.pinsDiffer') }); return }
    void run(async () => { await setPin(newPin, pin) }, locked ? t('settings.pinChanged') : t('settings.pinSet'))
  }

  return (
    <div className='page settings'>
      <TopBar />
      <main className='settings-main'>
        <h1>{t('settings.title')}</h1>
        <p className='muted'>{t('settings.local')}</p>
        {note !== undefined && <p className={`settings-note ${note.ok ? 'ok' : 'bad'}`} role={note.ok ? 'status' : 'alert'}>{note.text}</p>}

        <LanguageSection />

        <section className='settings-card' aria-labelledby='rating-h'>
          <h2 id='rating-h'>{t('settings.ratingTitle')}</h2>
          <p className='muted'>{t('settings.ratingText')}</p>
          <form onSubmit={saveRating}>
            <fieldset className='rating-choice' disabled={busy}>
              <legend>{t('settings.ratingLegend')}</legend>
              {RATINGS.map((r, i) => (
                <label key={r} className={chosen === i ? 'on' : ''}>
                  <input type='radio' name='rating' value={i} checked={chosen === i} onChange={() => { setChosen(i) }} /> {ratingLabel(i)}
                </label>
              ))}
            </fieldset>
            <div className='settings-row'>
              {locked && <label>{t('settings.pin')}<input type='password' inputMode='numeric' autoComplete='off' value={pin} onInput={e => { setPinInput(e.currentTarget.value) }} maxLength={8} /></label>}
              <button type='submit' className='primary' disabled={busy || chosen === rating}>{t('settings.save')}</button>
            </div>
          </form>
          <p className='muted small' data-max-rating={rating}>{rating === RATINGS.length - 1 ? t('settings.nowAll') : t('settings.nowUpTo', { rating: ratingLabel(rating) })}{locked ? t('settings.lockedSuffix') : ''}.</p>
        </section>

        <section className='settings-card' aria-labelledby='pin-h'>
          <h2 id='pin-h'>{t('settings.pinTitle')}</h2>
          <p className='muted'>{t('settings.pinText')}</p>
          <form onSubmit={savePin} className='settings-row'>
            {locked && <label>{t('settings.currentPin')}<input type='password' inputMode='numeric' autoComplete='off' value={pin} onInput={e => { setPinInput(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>}
            <label>{locked ? t('settings.newPin') : t('settings.pin')}<input type='password' inputMode='numeric' autoComplete='new-password' value={newPin} onInput={e => { setNewPin(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>
            <label>{t('settings.repeatPin')}<input type='password' inputMode='numeric' autoComplete='new-password' value={confirm} onInput={e => { setConfirm(e.currentTarget.value) }} maxLength={8} disabled={busy} /></label>
            <button type='submit' disabled={busy || newPin === ''}>{locked ? t('settings.changePin') : t('settings.setPin')}</button>
            {locked && <button type='button' disabled={busy || pin === ''} onClick={() => { void run(async () => { await clearPin(pin) }, t('settings.pinRemoved')) }}>{t('settings.removePin')}</button>}
          </form>
        </section>

        <section className='settings-card' aria-labelledby='p2p-h'>
          <h2 id='p2p-h'>{t('settings.p2pTitle')}</h2>
          <p className='muted'>{t('settings.p2pText')} {p2pChosen() ? '' : t('settings.p2pDefault')}</p>
          <button type='button' role='switch' aria-checked={p2p} className='switch' onClick={() => { setP2pAllowed(!p2p); setP2p(!p2p) }}>
            {t(p2p ? 'settings.p2pOn' : 'settings.p2pOff')}
          </button>
        </section>
      </main>
    </div>
  )
}
