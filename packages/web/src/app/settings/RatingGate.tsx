/**
 * Stands in front of a video's watch page when the viewer limits ratings: the rating comes from
 * the node's index or, for an unlisted video, from the registry on chain; a video above the limit
 * does not play. When neither answers, it fails closed (parental control), with a retry.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { ratingOf } from './rating-of.ts'
import { TopBar } from '../TopBar.tsx'
import { maxRating } from './preferences.ts'
import { ratingLabel, t } from '../i18n/index.ts'

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
              <h2>{verdict.kind === 'hidden' ? t('gate.hidden', { rating: ratingLabel(verdict.rating) }) : t('gate.unknown')}</h2>
              <p className='error-hint'>
                {verdict.kind === 'hidden'
                  ? <>{t('gate.hiddenText', { rating: ratingLabel(maxRating()) })} <a href='/settings'>{t('gate.settings')}</a> {t('gate.canChange')}</>
                  : <>{t('gate.unknownText')} <button type='button' onClick={() => { setVerdict({ kind: 'checking' }); setAttempt(attempt + 1) }}>{t('gate.retry')}</button></>}
              </p>
            </section>
          )}
        </div>
      </main>
    </div>
  )
}
