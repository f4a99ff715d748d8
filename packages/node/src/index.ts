export { startNode, type NodeHandle, type StartNodeOptions, NODE_VERSION } from './node.ts'
export { parseNodeArgs, NODE_USAGE, type NodeConfig } from './config.ts'
export { DATA_FORMAT_VERSION, DataDirErrorCode } from './data-dir.ts'
export { BlockstoreErrorCode } from './verified-blockstore.ts'
