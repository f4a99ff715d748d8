/**
 * Every command by name, loaded only when it runs: a command's module pulls in what it needs
 * (the sdk, the chain client, libp2p, esbuild…), and loading all of them cost every `p2pdv`
 * invocation most of a second before it did anything. `help` loads them all.
 */
import type { Command } from '../command.ts'

export interface CommandEntry {
  /** Space-separated words, as Command.name. */
  name: string
  load: () => Promise<Command>
}

export const commands: CommandEntry[] = [
  { name: 'devnet', load: async () => (await import('./devnet.ts')).devnet },
  { name: 'node start', load: async () => (await import('./node-start.ts')).nodeStart },
  { name: 'put', load: async () => (await import('./put.ts')).put },
  { name: 'get', load: async () => (await import('./get.ts')).get },
  { name: 'check', load: async () => (await import('./check.ts')).check },
  { name: 'sla', load: async () => (await import('./sla.ts')).sla },
  { name: 'upload', load: async () => (await import('./upload.ts')).upload },
  { name: 'studio', load: async () => (await import('./studio.ts')).studio },
  { name: 'watch', load: async () => (await import('./watch.ts')).watch },
  { name: 'live start', load: async () => (await import('./live.ts')).liveStart },
  { name: 'captions ls', load: async () => (await import('./captions.ts')).captionsLs },
  { name: 'captions get', load: async () => (await import('./captions.ts')).captionsGet },
  { name: 'captions edit', load: async () => (await import('./captions.ts')).captionsEdit },
  { name: 'download', load: async () => (await import('./download.ts')).download },
  { name: 'ls', load: async () => (await import('./chain-videos.ts')).ls },
  { name: 'search', load: async () => (await import('./search.ts')).search },
  { name: 'buy', load: async () => (await import('./chain-videos.ts')).buy },
  { name: 'claim', load: async () => (await import('./claims.ts')).claim },
  { name: 'counter', load: async () => (await import('./claims.ts')).counter },
  { name: 'arbitrate', load: async () => (await import('./claims.ts')).arbitrate },
  { name: 'claims', load: async () => (await import('./claims.ts')).claims },
  { name: 'claims withdraw', load: async () => (await import('./claims.ts')).claimsWithdraw },
  { name: 'transfer', load: async () => (await import('./chain-videos.ts')).transfer },
  { name: 'grant', load: async () => (await import('./chain-videos.ts')).grant },
  { name: 'revoke', load: async () => (await import('./chain-videos.ts')).revoke },
  { name: 'access', load: async () => (await import('./chain-videos.ts')).access },
  { name: 'require', load: async () => (await import('./conditions.ts')).requireCondition },
  { name: 'viewers', load: async () => (await import('./chain-videos.ts')).viewers },
  { name: 'channel set', load: async () => (await import('./channel.ts')).channelSet },
  { name: 'channel', load: async () => (await import('./channel.ts')).channel },
  { name: 'edit', load: async () => (await import('./edit.ts')).edit },
  { name: 'subscribe', load: async () => (await import('./chain-wallet.ts')).subscribe },
  { name: 'plan', load: async () => (await import('./chain-wallet.ts')).plan },
  { name: 'balance', load: async () => (await import('./chain-wallet.ts')).balance },
  { name: 'refund', load: async () => (await import('./refunds.ts')).refund },
  { name: 'refund-window', load: async () => (await import('./refunds.ts')).refundWindow },
  { name: 'withdraw', load: async () => (await import('./chain-wallet.ts')).withdraw },
  { name: 'nodes', load: async () => (await import('./chain-wallet.ts')).nodes },
  { name: 'gov params', load: async () => (await import('./gov.ts')).govParams },
  { name: 'gov propose', load: async () => (await import('./gov.ts')).govPropose },
  { name: 'gov vote', load: async () => (await import('./gov.ts')).govVote },
  { name: 'gov queue', load: async () => (await import('./gov.ts')).govQueue },
  { name: 'gov execute', load: async () => (await import('./gov.ts')).govExecute },
  { name: 'gov ls', load: async () => (await import('./gov.ts')).govLs },
  { name: 'gov delegate', load: async () => (await import('./gov.ts')).govDelegate },
  { name: 'rewards', load: async () => (await import('./rewards.ts')).rewards },
  { name: 'rewards claim', load: async () => (await import('./rewards.ts')).rewardsClaim },
  { name: 'rewards verify', load: async () => (await import('./rewards.ts')).rewardsVerify },
  { name: 'keys new', load: async () => (await import('./keys.ts')).keysNew },
  { name: 'keys ls', load: async () => (await import('./keys.ts')).keysLs },
  { name: 'keys export', load: async () => (await import('./keys.ts')).keysExport },
  { name: 'keys import', load: async () => (await import('./keys.ts')).keysImport },
  { name: 'keys public', load: async () => (await import('./keys-custody.ts')).keysPublic },
  { name: 'keys audit', load: async () => (await import('./keys-custody.ts')).keysAudit },
  { name: 'keys refresh', load: async () => (await import('./keys-custody.ts')).keysRefresh },
  { name: 'rekey', load: async () => (await import('./keys-custody.ts')).rekey },
  { name: 'chain deploy', load: async () => (await import('./chain-deploy.ts')).chainDeploy }
]
