/**
 * My videos: uploads of this studio run (running, failed, published with links), then earlier ones
 * on this network, then videos on chain uploaded elsewhere. A video on chain can be managed.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { call, StudioCallError, type MineJson, type Session, type StudioError, type UploadRow, type VideoRow } from './api.ts'
import { ErrorNote } from './ErrorNote.tsx'

const STATUS: Record<UploadRow['status'], string> = { running: 'Uploading', done: 'Published', failed: 'Failed' }

function when (ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function VideosPage ({ session, onUpload, onManage }: { session: Session | undefined, onUpload: () => void, onManage: (id: string) => void }): ReactElement {
  const [data, setData] = useState<{ videos: VideoRow[], uploads: UploadRow[] } | undefined>()
  const [error, setError] = useState<StudioError | undefined>()
  const [mine, setMine] = useState<MineJson['videos']>([])
  const uploadsDone = data?.uploads.filter(u => u.status === 'done').length ?? 0
  useEffect(() => {
    if (session?.chain !== true) return
    call<MineJson>('/api/mine').then(m => { setMine(m.videos) }, () => {})
  }, [session?.chain, uploadsDone])
  const onChain = new Map(mine.map(v => [v.manifestCid, v.id]))
  const manage = (id: string | undefined): ReactElement | null => id === undefined
    ? null
    : <a className='button' href={`/videos/${id}`} data-manage={id} onClick={e => { e.preventDefault(); onManage(id) }}>Manage</a>
  useEffect(() => {
    let stop = false
    const load = (): void => {
      call<{ videos: VideoRow[], uploads: UploadRow[] }>('/api/videos').then(d => { if (!stop) { setData(d); setError(undefined) } }, (e: StudioCallError) => { if (!stop) setError({ code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }) })
    }
    load()
    const t = setInterval(load, 3000)
    return () => { stop = true; clearInterval(t) }
  }, [])
  const published = new Set(data?.uploads.map(u => u.result?.manifestCid))
  const earlier = data?.videos.filter(v => !published.has(v.manifestCid)) ?? []
  const shown = new Set([...published, ...earlier.map(v => v.manifestCid)])
  const elsewhere = mine.filter(v => !shown.has(v.manifestCid))
  return (
    <main className='studio-main'>
      <div className='studio-head'>
        <h1>My videos</h1>
        <button className='primary' onClick={() => { onUpload() }}>Upload a video</button>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      {data !== undefined && data.uploads.length === 0 && earlier.length === 0 && elsewhere.length === 0 && (
        <div className='studio-empty'>
          <p>No videos yet on this network.</p>
          <p className='muted'>Upload one: it is transcoded and encrypted here, then stored on the nodes.</p>
        </div>
      )}
      <ul className='studio-list'>
        {data?.uploads.map(u => (
          <li key={u.id} className='studio-row'>
            <div>
              <div className='studio-row-title'>{u.title}</div>
              <div className='muted'>{when(u.startedAt)}{u.result?.videoId === undefined ? '' : ' · registered on chain'}</div>
              {u.error !== undefined && <ErrorNote error={u.error} />}
            </div>
            <span className={`chip ${u.status}`}>{STATUS[u.status]}</span>
            <span className='actions'>
              {manage(u.result?.videoId ?? onChain.get(u.result?.manifestCid ?? ''))}
              {u.result !== undefined && <a className='button' href={u.result.videoWatchUrl ?? u.result.watchUrl} target='_blank' rel='noopener noreferrer'>Watch</a>}
            </span>
          </li>
        ))}
        {earlier.map(v => (
          <li key={v.manifestCid} className='studio-row'>
            <div>
              <div className='studio-row-title'>{v.title}</div>
              <div className='muted'>{when(v.uploadedAt)} · {v.listingCid === undefined ? 'unlisted' : 'listed'} · <code title={v.manifestCid}>{v.manifestCid.slice(0, 12)}…</code></div>
            </div>
            <span className='chip done'>Published</span>
            <span className='actions'>{manage(onChain.get(v.manifestCid))}</span>
          </li>
        ))}
        {elsewhere.map(v => (
          <li key={v.id} className='studio-row'>
            <div>
              <div className='studio-row-title'>{v.title ?? 'Untitled (unlisted)'}</div>
              <div className='muted'>on chain · {v.policy}{v.retired === true ? ' · retired' : ''}{v.blocked === true ? ' · blocked' : ''}</div>
            </div>
            <span className='chip done'>On chain</span>
            <span className='actions'>{manage(v.id)}</span>
          </li>
        ))}
      </ul>
    </main>
  )
}
