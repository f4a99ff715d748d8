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

const STATE_TEXT: Record<SwarmState['kind'], string> = {
  off: 'off on this browser',
  waiting: 'starts after the first frame',
  joining: 'joining other viewers…',
  joined: 'on',
  unavailable: 'unavailable, playing from nodes'
}

export function P2pPanel ({ session, source }: { session: SwarmSession, source: VideoSource }): ReactElement {
  const state = useSyncExternalStore(fn => session.subscribe(fn), () => session.state)
  const [stats, setStats] = useState(() => session.stats())
  const [nodeBytes, setNodeBytes] = useState(source.stats.bytes)
  const [hotBytes, setHotBytes] = useState(source.stats.hotCopyBytes)
  useEffect(() => {
    const t = setInterval(() => { setStats(session.stats()); setNodeBytes(source.stats.bytes); setHotBytes(source.stats.hotCopyBytes) }, 1000)
    return () => { clearInterval(t) }
  }, [session, source])
  const on = state.kind !== 'off'
  const toggle = (): void => {
    setP2pAllowed(!on)
    void session.setAllowed(!on)
  }
  return (
    <section className='p2p-panel' aria-label='Peer-to-peer'>
      <dl className='net-stats'>
        <div><dt>from viewers</dt><dd data-stat='peer-bytes'>{formatBytes(stats.peerBytes)}</dd></div>
        <div><dt>from nodes</dt><dd data-stat='node-bytes'>{formatBytes(nodeBytes)}</dd></div>
        <div title="Nodes holding temporary copies of this much-watched video, beside the video's own holders">
          <dt>of which hot copies</dt><dd data-stat='hot-copy-bytes'>{formatBytes(hotBytes)}</dd>
        </div>
        <div><dt>viewers connected</dt><dd data-stat='peers'>{stats.peers}</dd></div>
        <div><dt>shared with viewers</dt><dd>{formatBytes(stats.bytesToPeers)}</dd></div>
        {stats.bannedPeers > 0 && <div><dt>viewers banned</dt><dd data-stat='banned'>{stats.bannedPeers}</dd></div>}
      </dl>
      <div className='p2p-consent'>
        <p>
          <strong>Peer-to-peer: {state.kind === 'off' && !p2pChosen() ? 'off by this node\'s default' : STATE_TEXT[state.kind]}{state.kind === 'unavailable' ? ` (${state.code})` : ''}.</strong>{' '}
          Other viewers of this video see your IP address while you exchange (always encrypted) video with them.
        </p>
        <button type='button' role='switch' aria-checked={on} className='switch' onClick={toggle}>
          Share with other viewers: {on ? 'on' : 'off'}
        </button>
      </div>
    </section>
  )
}
