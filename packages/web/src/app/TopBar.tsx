import type { ReactElement } from 'react'

export function TopBar ({ nodes }: { nodes?: number | undefined }): ReactElement {
  return (
    <header className='topbar'>
      <a href='/' className='brand'><img src='/assets/favicon.svg' alt='' width={28} height={28} /> P2PDEVIDEO</a>
      {nodes !== undefined && (
        <span className={`net ${nodes > 0 ? 'up' : 'down'}`} title='Storage nodes this page can read from'>
          <span className='dot' />{nodes > 0 ? `${nodes} node${nodes === 1 ? '' : 's'} online` : 'network unreachable'}
        </span>
      )}
    </header>
  )
}
