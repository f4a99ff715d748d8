import type { ReactElement } from 'react'
import { SearchIcon, SettingsIcon } from './icons.tsx'
import { WalletButton } from './wallet/WalletButton.tsx'
import { t } from './i18n/index.ts'

/** The bar on every page: home, search (a plain GET form: works before the app runs), network state, the wallet. */
export function TopBar ({ nodes, query = '' }: { nodes?: number | undefined, query?: string }): ReactElement {
  return (
    <header className='topbar'>
      <a href='/' className='brand'><img src='/assets/favicon.svg' alt='' width={28} height={28} /> <span className='brand-name'>{t('app.name')}</span></a>
      <form className='search-form' role='search' action='/search' method='get'>
        <label htmlFor='search-q' className='sr-only'>{t('topbar.searchLabel')}</label>
        <input id='search-q' name='q' type='search' defaultValue={query} placeholder={t('topbar.searchPlaceholder')} maxLength={200} autoComplete='off' enterKeyHint='search' />
        <button type='submit' aria-label={t('topbar.searchButton')}><SearchIcon /></button>
      </form>
      {nodes !== undefined && (
        <a href='/node' className={`net ${nodes > 0 ? 'up' : 'down'}`} title={t('topbar.netTitle')}>
          <span className='dot' /><span className='net-label'>{nodes > 0 ? t('topbar.nodesOnline', { count: nodes }) : t('topbar.unreachable')}</span>
        </a>
      )}
      <a href='/settings' className='topbar-settings' aria-label={t('topbar.settings')} title={t('topbar.settingsTitle')}><SettingsIcon /></a>
      <WalletButton />
    </header>
  )
}
