/**
 * Under the player of `/watch/video/<id>`: the listing (title, creator, description, tags) and the
 * price state, from the node's index. Listing text is rendered as text (never as markup); a video
 * the index does not list (private, unlisted) shows nothing here and still plays with a key.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { recordWatch } from '../library/history.ts'
import { ago, categoryLabel, listedVideo, priceLabel, shortAddress, type ListedVideo } from './api.ts'
import { VideoActions } from './VideoActions.tsx'

export function priceState (v: ListedVideo): { label: string, detail: string } {
  if (v.policy === 'public') return { label: 'Free', detail: 'Anyone may watch this video.' }
  if (v.policy === 'subscribers') return { label: 'Subscribers', detail: 'Included in a subscription to this creator.' }
  if (v.price === undefined) return { label: 'Not for sale', detail: 'The creator has not set a price yet.' }
  return { label: `Buy for ${priceLabel(v)}`, detail: v.price.durationSeconds === 0n ? 'Yours to watch for good.' : 'Access for a limited time.' }
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
        <ul className='tags' aria-label='Tags'>
          {video.tags.map(t => <li key={t}><a className='chip' href={`/search?tag=${encodeURIComponent(t)}`}>#{t}</a></li>)}
        </ul>
      )}
    </section>
  )
}
