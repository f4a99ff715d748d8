/**
 * Stands in front of a video's watch page when the viewer limits ratings: the rating comes from
 * the node's index or, for an unlisted video, from the registry on chain; a video above the limit
 * does not play. When neither answers, it fails closed (parental control), with a retry.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { ratingOf } from './rating-of.ts'
import { TopBar } from '../TopBar.tsx'
import { maxRating, RATINGS } from './preferences.ts'

type Verdict = { kind: 'checking' } | { kind: 'allowed' } | { kind: 'hidden', rating: number } | { kind: 'unknown' }

export function RatingGate ({ id, children }: { id: string, children: () => ReactElement }): ReactElement {
  const [verdict, setVerdict] = useState<Verdict>({ kind: 'checking' })
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    const ctrl = new AbortController()
    ratingOf(id, ctrl.signal).then(
      rating => { if (!ctrl.signal.aborted) setVerdict(rating > maxRating() ? { kind: 'hidden', rating } : { kind: 'allowed' }) },
      () => { if (!ctrl.signal.aborted) setVerdict({ kind: 'unknown' }) }
    )
    return () => { ctrl.abort() }
  }, [id, attempt])
  if (verdict.kind === 'allowed') return children()
  return (
    <div className='page watch'>
      <TopBar />
      <main className='watch-main'>
        <div className='player placeholder' aria-busy={verdict.kind === 'checking'}>
          {verdict.kind !== 'checking' && (
            <section className='error-panel rating-hidden' role='alert' data-hidden-rating={verdict.kind === 'hidden' ? verdict.rating : undefined}>
              <h2>{verdict.kind === 'hidden' ? `Hidden by your settings: rated ${RATINGS[verdict.rating] ?? verdict.rating}` : 'This video\'s rating could not be checked'}</h2>
              <p className='error-hint'>
                {verdict.kind === 'hidden'
                  ? <>This browser shows videos rated up to {RATINGS[maxRating()]}. <a href='/settings'>Settings</a> can change that{' '}(with the PIN, if one is set).</>
                  : <>Your settings limit ratings, so it does not play until its rating is known. <button type='button' onClick={() => { setVerdict({ kind: 'checking' }); setAttempt(attempt + 1) }}>Try again</button></>}
              </p>
            </section>
          )}
        </div>
      </main>
    </div>
  )
}
