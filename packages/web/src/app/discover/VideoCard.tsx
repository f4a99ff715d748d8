/** One video in a grid: poster (or a generated cover), duration, title, creator, price. */
import { useEffect, useState, type ReactElement } from 'react'
import { formatTime } from '../format.ts'
import { ago, posterBlobUrl, priceLabel, shortAddress, type ListedVideo } from './api.ts'
import { t } from '../i18n/index.ts'

/** A stable hue from the video id, so covers without a poster differ. */
function hueOf (id: string): number {
  return Number.parseInt(id.slice(2, 6), 16) % 360
}

export function Cover ({ video, large = false }: { video: ListedVideo, large?: boolean }): ReactElement {
  const [src, setSrc] = useState<string | undefined>()
  useEffect(() => {
    if (video.poster === undefined) return
    const ctrl = new AbortController()
    let url: string | undefined
    void posterBlobUrl(video.poster, ctrl.signal).then(u => { url = u; if (!ctrl.signal.aborted) setSrc(u) })
    return () => { ctrl.abort(); if (url !== undefined) URL.revokeObjectURL(url) }
  }, [video.poster])
  const h = hueOf(video.id)
  return (
    <div className={`cover${large ? ' large' : ''}`} style={{ background: `linear-gradient(135deg, hsl(${h} 60% 28%), hsl(${(h + 50) % 360} 70% 16%))` }}>
      {src !== undefined
        ? <img src={src} alt='' loading='lazy' />
        : <span className='cover-letter' aria-hidden='true'>{Array.from(video.title)[0]?.toUpperCase()}</span>}
      <span className='duration'>{formatTime(video.durationSeconds)}</span>
      {video.policy !== 'public' && <span className='price-tag'>{priceLabel(video)}</span>}
    </div>
  )
}

export function VideoCard ({ video }: { video: ListedVideo }): ReactElement {
  return (
    <li className='video-card'>
      <a href={`/watch/video/${video.id}`} data-video={video.id}>
        <Cover video={video} />
        <span className='card-title'>{video.title}</span>
      </a>
      <p className='card-meta'>
        <a className='creator' href={`/channel/${video.owner}`} title={video.owner}>{video.creatorName ?? shortAddress(video.owner)}</a>
        <span aria-hidden='true'> · </span>
        <span>{ago(video.registeredAt)}</span>
        {video.policy === 'public' && <><span aria-hidden='true'> · </span><span className='free'>{t('common.free')}</span></>}
      </p>
    </li>
  )
}

export function VideoGrid ({ videos, label }: { videos: ListedVideo[], label: string }): ReactElement {
  return <ul className='video-grid' aria-label={label}>{videos.map(v => <VideoCard key={v.id} video={v} />)}</ul>
}
