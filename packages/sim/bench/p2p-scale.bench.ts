// P2P delivery at scale (issue 16), a model: viewers arriving over 30 min watch 100 videos
// (Zipf popularity) held on 100 nodes, with P2P on (the player's policy) beside P2P off in the
// same run: node egress and start-up delay vs viewer count. Assumptions: docs/architecture.md
// ("P2P delivery at scale: the model"); packages/sim/src/viewer-swarm.ts.
import { printTable } from '../../../scripts/bench-util.ts'
import { DEFAULT_SWARM_SIM, simulateSwarm } from '../src/viewer-swarm.ts'

const COUNTS = (process.env.BENCH_SWARM_VIEWERS ?? '100,1000,3000,10000').split(',').map(Number)
const p = DEFAULT_SWARM_SIM
const runs = COUNTS.map(viewers => ({
  on: simulateSwarm({ ...p, viewers, p2p: true }),
  off: simulateSwarm({ ...p, viewers, p2p: false })
}))
const title = (what: string): string => `P2P at scale (model): ${what}, ${p.nodes} nodes × ${p.nodeUplinkMbps} Mb/s up, ${p.videos} videos (Zipf ${p.zipf}, ${p.replicas} replicas) of ${p.videoSeconds} s at ${p.bitrateMbps} Mb/s, arrivals over ${p.arrivalSeconds} s, viewers ${p.viewerUplinkMbps} Mb/s up`
printTable(title('node egress per viewer'), runs.map(({ on, off }) => ({ name: `${on.viewers} viewers, P2P on`, value: on.nodeBytesPerViewer / 1e6, baselineName: 'P2P off', baseline: off.nodeBytesPerViewer / 1e6, unit: 'MB', better: 'lower' as const })))
printTable(title('peak node egress (all nodes)'), runs.map(({ on, off }) => ({ name: `${on.viewers} viewers, P2P on`, value: on.peakNodeGbps, baselineName: 'P2P off', baseline: off.peakNodeGbps, unit: 'Gb/s', better: 'lower' as const })))
printTable(title('start-up delay, 95th percentile'), runs.map(({ on, off }) => ({ name: `${on.viewers} viewers, P2P on`, value: on.startupP95, baselineName: 'P2P off', baseline: off.startupP95, unit: 's', better: 'lower' as const, target: '<= 1.1×' })))
printTable(title('stall time per viewer (mean)'), runs.map(({ on, off }) => ({ name: `${on.viewers} viewers, P2P on`, value: on.stallMean + 0.01, baselineName: 'P2P off', baseline: off.stallMean + 0.01, unit: 's (+0.01)', better: 'lower' as const })))
process.stdout.write(`share of bytes from peers: ${runs.map(({ on }) => `${on.viewers}: ${(100 * on.peerShare).toFixed(1)} %`).join(', ')}\n\n`)
