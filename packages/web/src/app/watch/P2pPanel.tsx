/**
 * Below the player: where the bytes came from (other viewers vs nodes, and of the nodes' bytes
 * those from hot copies: nodes holding a much-watched video's blocks for a while), the viewers connected,
 * the plain notice that peers see this viewer's IP address, and the switch that turns P2P off
 * (kept in localStorage; off = the page joins no swarm at all).
 */
import { useEffect, useState, useSyncExternalStore, type ReactElement } from 'react'
import type { VideoSource } from '@p2pdv/sdk/player'
import { formatBytes } from '../format.ts'
import { p2pChosen, setP2pAllowed, type SwarmSession, type SwarmState } from './p2p.ts'
import { t, type MessageKey } from '../i18n/index.ts'

const STATE_TEXT = {
  off: 'p2p.off',
  waiting: 'p2p.waiting',
  joining: 'p2p.joining',
  joined: 'p2p.joined',
  unavailable: 'p2p.unavailable'
} as const satisfies Record<SwarmState['kind'], MessageKey>

export function P2pPanel ({ session, source }: { session: SwarmSession, source: VideoSource }): ReactElement {
  const state = useSyncExternalStore(fn => session.subscribe(fn), () => session.state)
  const [stats, setStats] = useState(() => session.stats())
  const [nodeBytes, setNodeBytes] = useState(source.stats.bytes)
  const [hotBytes, setHotBytes] = useState(source.stats.hotCopyBytes)
  useEffect(() => {
    const timer = setInterval(() => { setStats(session.stats()); setNodeBytes(source.stats.bytes); setHotBytes(source.stats.hotCopyBytes) }, 1000)
    return () => { clearInterval(timer) }
  }, [session, source])
  const on = state.kind !== 'off'
  const toggle = (): void => {
    setP2pAllowed(!on)
    void session.setAllowed(!on)
  }
  return (
    <section className='p2p-panel' aria-label={t('p2p.label')}>
      <dl className='net-stats'>
        <div><dt>{t('p2p.fromViewers')}</dt><dd data-stat='peer-bytes'>{formatBytes(stats.peerBytes)}</dd></div>
        <div><dt>{t('p2p.fromNodes')}</dt><dd data-stat='node-bytes'>{formatBytes(nodeBytes)}</dd></div>
        <div title={t('p2p.hotTitle')}>
          <dt>{t('p2p.hot')}</dt><dd data-stat='hot-copy-bytes'>{formatBytes(hotBytes)}</dd>
        </div>
        <div><dt>{t('p2p.peers')}</dt><dd data-stat='peers'>{stats.peers}</dd></div>
        <div><dt>{t('p2p.shared')}</dt><dd>{formatBytes(stats.bytesToPeers)}</dd></div>
        {stats.bannedPeers > 0 && <div><dt>{t('p2p.banned')}</dt><dd data-stat='banned'>{stats.bannedPeers}</dd></div>}
      </dl>
      <div className='p2p-consent'>
        <p>
          <strong>{t('p2p.state', { state: t(state.kind === 'off' && !p2pChosen() ? 'p2p.offByDefault' : STATE_TEXT[state.kind]) })}{state.kind === 'unavailable' ? ` (${state.code})` : ''}.</strong>{' '}
          {t('p2p.ipNotice')}
        </p>
        <button type='button' role='switch' aria-checked={on} className='switch' onClick={toggle}>
          {t(on ? 'settings.p2pOn' : 'settings.p2pOff')}
        </button>
      </div>
    </section>
  )
}
