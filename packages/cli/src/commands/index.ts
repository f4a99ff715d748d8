import type { Command } from '../command.ts'
import { devnet } from './devnet.ts'
import { get } from './get.ts'
import { nodeStart } from './node-start.ts'
import { put } from './put.ts'

export const commands: Command[] = [devnet, nodeStart, put, get]
