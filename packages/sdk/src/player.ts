/**
 * The player's part of the browser sdk (`@p2pdv/sdk/player`): peers, verified block reads, video
 * sources and the hls.js loader. Pages that play capability links import only this, so they do
 * not load the chain client, the keeper protocol or their dependencies (viem, HPKE, Shamir),
 * which `@p2pdv/sdk/browser` adds for video links.
 */
export { PeerSet, type PeerInfo } from './peers.ts'
export { BlockFetcher, FetchErrorCode, DEFAULT_BLOCK_TIMEOUT_MS } from './block-fetcher.ts'
export * from './player/peer-directory.ts'
export * from './player/video-source.ts'
export * from './player/hls-loader.ts'
export * from './player/peer-delivery.ts'
export * from './live/live-source.ts'
export { runLiveFeed, type LiveFeedOptions } from './live/live-feed.ts'
export { LiveChat, chatIdentity, type ChatEntry } from './live/chat.ts'
