/** P2P delivery between viewers (issue 16): the swarm, the share protocol and a memory block source. */
export { ViewerSwarm, SwarmErrorCode, MAX_IN_FLIGHT_PER_PEER, DEFAULT_MAX_PEERS, DEFAULT_PEER_REQUEST_TIMEOUT_MS, DEFAULT_ANNOUNCE_INTERVAL_MS, type ViewerSwarmOptions, type ViewerSwarmStats, type FetchOptions } from './viewer-swarm.ts'
export { createShareHandler, requestBlock, requestHave, ShareClientErrorCode, MAX_SERVING, type BlockSource } from './share-protocol.ts'
export { MemoryBlockSource, DEFAULT_MEMORY_SOURCE_BYTES } from './memory-source.ts'
export { joinVideoSwarm, joinVideoSwarmAtHome, viewerAddresses, MAX_SWARM_HOMES, type JoinVideoSwarmOptions, type JoinedSwarm } from './join-video.ts'
export { rankSwarmHomes, type SwarmNode } from './swarm-home.ts'
