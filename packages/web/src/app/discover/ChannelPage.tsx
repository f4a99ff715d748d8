/**
 * `/channel/<address>`: a creator's channel from the node's index: their signed profile (avatar,
 * name, bio, links; the node checked the signature and that the profile is the account's own)
 * and their listed videos, newest first, with "more" paging. Everything in a profile is a
 * stranger's text: it renders as text nodes; links are anchors only for http(s) URLs, with
 * rel="noopener noreferrer nofollow".
 */
import { useEffect, useState, type ReactElement } from 'react'
import { userError, type UserError } from '../errors.ts'
import { TopBar } from '../TopBar.tsx'
import { avatarBlobUrl, channelPage, safeLinkHref, shortAddress, type ChannelProfile, type ListedVideo } from './api.ts'
import { SkeletonGrid } from './Home.tsx'
import { VideoGrid } from './VideoCard.tsx'
import { MAX_RATING, maxRating } from '../settings/preferences.ts'
import { ratingLabel, t } from '../i18n/index.ts'

type State =
  | { kind: 'loading' }
  | { kind: 'ready', profile?: ChannelProfile | undefined, videos: ListedVideo[], next?: string | undefined, more: boolean }
  | { kind: 'error', error: UserError }

function Avatar ({ profile, address }: { profile: ChannelProfile | undefined, address: string }): ReactElement {
  const [src, setSrc] = useState<string | undefined>()
  useEffect(() => {
    if (profile?.avatar === undefined) return
    const ctrl = new AbortController()
    let url: string | undefined
    void avatarBlobUrl(profile.avatar, ctrl.signal).then(u => { url = u; if (!ctrl.signal.aborted) setSrc(u) })
    return () => { ctrl.abort(); if (url !== undefined) URL.revokeObjectURL(url) }
  }, [profile?.avatar])
  return (
    <div className='avatar channel-avatar' aria-hidden='true'>
      {src !== undefined ? <img src={src} alt='' /> : Array.from(profile?.name ?? address.slice(2, 4))[0]}
    </div>
  )
}

export function ChannelPage ({ address }: { address: string }): ReactElement {
  const [state, setState] = useState<State>({ kind: 'loading' })

  useEffect(() => {
    const ctrl = new AbortController()
    document.title = `${shortAddress(address)} · P2PDEVIDEO`
    channelPage(address, undefined, ctrl.signal).then(
      p => {
        if (p.profile !== undefined) document.title = `${p.profile.name} · P2PDEVIDEO`
        setState({ kind: 'ready', profile: p.profile, videos: p.videos, next: p.next, more: false })
      },
      err => { if (!ctrl.signal.aborted) setState({ kind: 'error', error: userError(err) }) })
    return () => { ctrl.abort() }
  }, [address])

  const more = (): void => {
    if (state.kind !== 'ready' || state.next === undefined) return
    setState({ ...state, more: true })
    channelPage(address, state.next).then(
      p => { setState({ ...state, videos: [...state.videos, ...p.videos], next: p.next, more: false }) },
      err => { setState({ kind: 'error', error: userError(err) }) })
  }

  const profile = state.kind === 'ready' ? state.profile : undefined
  const links = (profile?.links ?? []).flatMap(l => { const href = safeLinkHref(l); return href === undefined ? [] : [{ href, text: l.replace(/^https?:\/\//, '').replace(/\/$/, '') }] })
  return (
    <div className='page channel'>
      <TopBar />
      <main>
        <header className='channel-header' aria-busy={state.kind === 'loading'}>
          <Avatar profile={profile} address={address} />
          <div className='channel-text'>
            <h1 className='channel-name'>{profile?.name ?? shortAddress(address)}</h1>
            <p className='muted small channel-address' title={address}>{address}</p>
            {profile?.bio !== undefined && <p className='channel-bio'>{profile.bio}</p>}
            {links.length > 0 && (
              <ul className='channel-links' aria-label={t('channel.links')}>
                {links.map(l => <li key={l.href}><a href={l.href} rel='noopener noreferrer nofollow' target='_blank'>{l.text}</a></li>)}
              </ul>
            )}
          </div>
        </header>
        <section aria-live='polite' aria-busy={state.kind === 'loading'} aria-label={t('channel.videos')}>
          {state.kind === 'loading' && <SkeletonGrid />}
          {state.kind === 'error' && (
            <p className='notice' role='alert'>
              <strong>{state.error.code === 'ERR_CHANNEL_NOT_FOUND' ? t('channel.notFound') : state.error.title}.</strong> {state.error.hint} <code>{state.error.code}</code>
            </p>
          )}
          {state.kind === 'ready' && state.videos.length === 0 && (
            <div className='empty'>
              <p>{t('channel.none')}</p>
              {maxRating() < MAX_RATING && <p className='muted rating-note'>{t('common.ratingHidden', { rating: ratingLabel(maxRating()) })} <a href='/settings'>{t('common.settings')}</a>.</p>}
            </div>
          )}
          {state.kind === 'ready' && state.videos.length > 0 && (
            <>
              <h2 className='channel-videos-heading'>{t('channel.videos')}</h2>
              <VideoGrid videos={state.videos} label={t('channel.videosBy', { name: profile?.name ?? address })} />
              {state.next !== undefined && <div className='more'><button type='button' onClick={more} disabled={state.more}>{state.more ? t('common.loading') : t('channel.more')}</button></div>}
            </>
          )}
        </section>
      </main>
    </div>
  )
}
