import type { ReactElement } from 'react'
import { SearchIcon, SettingsIcon } from './icons.tsx'
import { WalletButton } from './wallet/WalletButton.tsx'

/** The bar on every page: home, search (a plain GET form: works before the app runs), network state, the wallet. */
export function TopBar ({ nodes, query = '' }: { nodes?: number | undefined, query?: string }): ReactElement {
  return (
    <header className='topbar'>
      <a href='/' className='brand'><img src='/assets/favicon.svg' alt='' width={28} height={28} /> <span className='brand-name'>P2PDEVIDEO</span></a>
      <form className='search-form' role='search' action='/search' method='get'>
        <label htmlFor='search-q' className='sr-only'>Search videos</label>
        <input id='search-q' name='q' type='search' defaultValue={query} placeholder='Search videos' maxLength={200} autoComplete='off' enterKeyHint='search' />
        <button type='submit' aria-label='Search'><SearchIcon /></button>
      </form>
      {nodes !== undefined && (
        <a href='/node' className={`net ${nodes > 0 ? 'up' : 'down'}`} title='Storage nodes this page can read from: open this node’s dashboard'>
          <span className='dot' /><span className='net-label'>{nodes > 0 ? `${nodes} node${nodes === 1 ? '' : 's'} online` : 'network unreachable'}</span>
        </a>
      )}
      <a href='/settings' className='topbar-settings' aria-label='Settings' title='Settings: content rating, PIN lock, peer-to-peer'><SettingsIcon /></a>
      <WalletButton />
    </header>
  )
}
