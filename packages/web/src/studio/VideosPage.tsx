/** My videos: uploads of this studio run (running, failed, published with links), then earlier ones on this network. */
import { useEffect, useState, type ReactElement } from 'react'
import { call, StudioCallError, type StudioError, type UploadRow, type VideoRow } from './api.ts'
import { ErrorNote } from './ErrorNote.tsx'

const STATUS: Record<UploadRow['status'], string> = { running: 'Uploading', done: 'Published', failed: 'Failed' }

function when (ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function VideosPage ({ onUpload }: { onUpload: () => void }): ReactElement {
  const [data, setData] = useState<{ videos: VideoRow[], uploads: UploadRow[] } | undefined>()
  const [error, setError] = useState<StudioError | undefined>()
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
  return (
    <main className='studio-main'>
      <div className='studio-head'>
        <h1>My videos</h1>
        <button className='primary' onClick={() => { onUpload() }}>Upload a video</button>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      {data !== undefined && data.uploads.length === 0 && earlier.length === 0 && (
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
            {u.result !== undefined && <a className='button' href={u.result.videoWatchUrl ?? u.result.watchUrl} target='_blank' rel='noopener noreferrer'>Watch</a>}
          </li>
        ))}
        {earlier.map(v => (
          <li key={v.manifestCid} className='studio-row'>
            <div>
              <div className='studio-row-title'>{v.title}</div>
              <div className='muted'>{when(v.uploadedAt)} · {v.listingCid === undefined ? 'unlisted' : 'listed'} · <code title={v.manifestCid}>{v.manifestCid.slice(0, 12)}…</code></div>
            </div>
            <span className='chip done'>Published</span>
          </li>
        ))}
      </ul>
    </main>
  )
}
