/**
 * Under the player of `/watch/video/<id>`: the listing (title, creator, description, tags) and the
 * price state, from the node's index. Listing text is rendered as text (never as markup); a video
 * the index does not list (private, unlisted) shows nothing here and still plays with a key.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { recordWatch } from '../library/history.ts'
import { ago, categoryLabel, listedVideo, priceLabel, shortAddress, type ListedVideo } from './api.ts'
import { VideoActions } from './VideoActions.tsx'
import { t } from '../i18n/index.ts'

export function priceState (v: ListedVideo): { label: string, detail: string } {
  if (v.policy === 'public') return { label: t('common.free'), detail: t('price.anyone') }
  if (v.policy === 'subscribers') return { label: t('price.subscribers'), detail: t('price.subscriptionIncluded') }
  if (v.price === undefined) return { label: t('price.notForSale'), detail: t('price.noPrice') }
  return { label: t('price.buyFor', { price: priceLabel(v) }), detail: v.price.durationSeconds === 0n ? t('price.forGood') : t('price.limited') }
}

export function VideoDetails ({ id, onFound, onAccess, onAccessLost }: { id: string, onFound?: (found: boolean) => void, onAccess?: () => void, onAccessLost?: () => void }): ReactElement | null {
  const [video, setVideo] = useState<ListedVideo | undefined>()
  useEffect(() => {
    const ctrl = new AbortController()
    listedVideo(id, ctrl.signal).then(v => {
      if (ctrl.signal.aborted) return
      setVideo(v)
      onFound?.(true)
      recordWatch({ id: v.id, title: v.title, at: Date.now() })
      document.title = `${v.title} · P2PDEVIDEO`
    }, () => {})
    return () => { ctrl.abort() }
  }, [id, onFound])
  if (video === undefined) return null
  return (
    <section className='video-details' aria-labelledby='video-title'>
      <h1 id='video-title' className='listing-title'>{video.title}</h1>
      <div className='byline'>
        <a className='avatar' href={`/channel/${video.owner}`} aria-hidden='true' tabIndex={-1}>{Array.from(video.creatorName ?? video.owner.slice(2, 4))[0]}</a>
        <div>
          <p className={`creator-name${video.creatorName === undefined ? '' : ' named'}`}><a href={`/channel/${video.owner}`} title={video.owner}>{video.creatorName ?? shortAddress(video.owner)}</a></p>
          <p className='muted small'>{ago(video.registeredAt)}{video.category !== undefined && <> · <a href={`/search?category=${encodeURIComponent(video.category)}`}>{categoryLabel(video.category)}</a></>}</p>
        </div>
        <VideoActions video={video} {...(onAccess === undefined ? {} : { onAccess })} {...(onAccessLost === undefined ? {} : { onAccessLost })} />
      </div>
      {video.description !== undefined && <p className='description'>{video.description}</p>}
      {video.tags.length > 0 && (
        <ul className='tags' aria-label={t('video.tags')}>
          {video.tags.map(tag => <li key={tag}><a className='chip' href={`/search?tag=${encodeURIComponent(tag)}`}>#{tag}</a></li>)}
        </ul>
      )}
    </section>
  )
}
