/**
 * `/search?q=&category=&tag=&sort=`: results from the node's index, with filters that are links
 * and a form (keyboard and back button work as on any site), and "more" paging.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { fetchPeerDirectory } from '@p2pdv/sdk/player'
import { userError, type UserError } from '../errors.ts'
import { TopBar } from '../TopBar.tsx'
import { CATEGORIES, categoryLabel, searchVideos, type ListedVideo, type VideoSearch } from './api.ts'
import { SkeletonGrid } from './Home.tsx'
import { VideoGrid } from './VideoCard.tsx'
import { MAX_RATING, maxRating } from '../settings/preferences.ts'
import { ratingLabel, t } from '../i18n/index.ts'

const SORTS = [['relevance', 'search.sortRelevance'], ['latest', 'search.sortLatest'], ['trending', 'search.sortTrending']] as const

/** The search in the address bar (only parameters the node takes; the node bounds them). */
export function searchFromLocation (search: string): VideoSearch {
  const p = new URLSearchParams(search)
  const out: VideoSearch = {}
  const q = p.get('q')?.trim()
  if (q !== undefined && q !== '') out.q = q
  const category = p.get('category')
  if (category !== null && category !== '') out.category = category
  const tag = p.get('tag')
  if (tag !== null && tag !== '') out.tag = tag
  const sort = p.get('sort')
  if (sort === 'latest' || sort === 'trending' || sort === 'relevance') out.sort = sort
  return out
}

function hrefWith (s: VideoSearch, change: Partial<Record<keyof VideoSearch, string | undefined>>): string {
  const p = new URLSearchParams()
  const merged: Record<string, unknown> = { ...s, ...change }
  for (const k of ['q', 'category', 'tag', 'sort']) if (merged[k] !== undefined && merged[k] !== '') p.set(k, String(merged[k]))
  return `/search?${p.toString()}`
}

type State = { kind: 'loading' } | { kind: 'ready', videos: ListedVideo[], next?: string | undefined, more: boolean } | { kind: 'error', error: UserError }

export function SearchPage (): ReactElement {
  const [search] = useState(() => searchFromLocation(window.location.search))
  const [state, setState] = useState<State>({ kind: 'loading' })
  const [nodes, setNodes] = useState<number | undefined>()

  useEffect(() => {
    document.title = `${search.q ?? (search.category !== undefined ? categoryLabel(search.category) : search.tag ?? t('search.docTitle'))} · P2PDEVIDEO`
    const ctrl = new AbortController()
    fetchPeerDirectory(window.location.origin, ctrl.signal).then(p => { setNodes(p.length) }, () => { setNodes(0) })
    searchVideos({ ...search, limit: 24 }, ctrl.signal).then(
      p => { setState({ kind: 'ready', videos: p.videos, next: p.next, more: false }) },
      err => { if (!ctrl.signal.aborted) setState({ kind: 'error', error: userError(err) }) })
    return () => { ctrl.abort() }
  }, [search])

  const more = (): void => {
    if (state.kind !== 'ready' || state.next === undefined) return
    setState({ ...state, more: true })
    searchVideos({ ...search, limit: 24, cursor: state.next }).then(
      p => { setState({ kind: 'ready', videos: [...state.videos, ...p.videos], next: p.next, more: false }) },
      err => { setState({ kind: 'error', error: userError(err) }) })
  }

  const heading = search.q !== undefined ? t('search.resultsFor', { q: search.q }) : search.category !== undefined ? categoryLabel(search.category) : search.tag !== undefined ? `#${search.tag}` : t('search.all')
  const sort = search.sort ?? (search.q !== undefined ? 'relevance' : 'latest')
  return (
    <div className='page search'>
      <TopBar nodes={nodes} query={search.q ?? ''} />
      <main>
        <h1 className='search-heading'>{heading}</h1>
        <div className='filters'>
          <nav aria-label={t('search.category')}>
            <ul className='chips'>
              <li><a className='chip' aria-current={search.category === undefined ? 'true' : undefined} href={hrefWith(search, { category: undefined })}>{t('search.allChip')}</a></li>
              {CATEGORIES.map(c => <li key={c}><a className='chip' aria-current={search.category === c ? 'true' : undefined} href={hrefWith(search, { category: c })}>{categoryLabel(c)}</a></li>)}
            </ul>
          </nav>
          <nav aria-label={t('search.sort')}>
            <ul className='chips'>
              {SORTS.filter(([s]) => s !== 'relevance' || search.q !== undefined).map(([s, label]) => (
                <li key={s}><a className='chip' aria-current={sort === s ? 'true' : undefined} href={hrefWith(search, { sort: s })}>{t(label)}</a></li>
              ))}
            </ul>
          </nav>
          {search.tag !== undefined && <a className='chip active' href={hrefWith(search, { tag: undefined })} aria-label={t('search.removeTag', { tag: search.tag })}>#{search.tag} ✕</a>}
        </div>
        <section aria-live='polite' aria-busy={state.kind === 'loading'}>
          {state.kind === 'loading' && <SkeletonGrid />}
          {state.kind === 'error' && <p className='notice' role='alert'><strong>{state.error.code === 'ERR_VIDEO_QUERY' ? t('search.badQuery') : state.error.title}.</strong> {state.error.hint} <code>{state.error.code}</code></p>}
          {state.kind === 'ready' && state.videos.length === 0 && <div className='empty'><p>{t('search.none')}</p><p className='muted'>{t('search.noneHint')}</p>{maxRating() < MAX_RATING && <p className='muted rating-note'>{t('common.ratingHidden', { rating: ratingLabel(maxRating()) })} <a href='/settings'>{t('common.settings')}</a>.</p>}</div>}
          {state.kind === 'ready' && state.videos.length > 0 && (
            <>
              <p className='muted result-count'>{t(state.next !== undefined ? 'search.countMore' : 'search.count', { count: state.videos.length })}</p>
              <VideoGrid videos={state.videos} label={t('search.results')} />
              {state.next !== undefined && <div className='more'><button type='button' onClick={more} disabled={state.more}>{state.more ? t('common.loading') : t('search.more')}</button></div>}
            </>
          )}
        </section>
      </main>
    </div>
  )
}
