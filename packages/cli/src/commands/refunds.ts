/**
 * Refunds from the command line: the creator sets a video's refund window (`refund-window`, or
 * `upload --price … --refund-window 7d`); a buyer takes a purchase back within it (`refund`),
 * and the amount is withdrawn at once. Sales under a window are held in escrow until it closes;
 * `p2pdv withdraw` releases the creator's closed ones first (see chain-wallet.ts).
 */
import { formatAmount, formatDurationSeconds, parseDuration } from '@p2pdv/chain'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, parseVideoId, resolveAddress } from '../chain/context.ts'

export const refundWindow: Command = {
  name: 'refund-window',
  summary: 'let buyers of your paid video refund within WINDOW of buying (0: no refunds); sales are held until it closes',
  usage: 'refund-window VIDEO WINDOW (e.g. 48h, 7d, at most 30d; 0 = off) [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', refundWindow))
    const seconds = parseDuration(requirePositional(args, 1, 'WINDOW', refundWindow))
    const ctx = await chainContext(args, 'required')
    const receipt = await ctx.client.setRefundWindow(id, seconds)
    out.result({ video: id, refundWindow: seconds, tx: receipt.transactionHash }, () => seconds === 0n
      ? `${id.slice(0, 10)}…: no refunds for later sales (sales already held keep their window)`
      : `${id.slice(0, 10)}…: buyers may refund within ${formatDurationSeconds(seconds)} of buying; each sale is paid to you when its window closes (\`p2pdv withdraw\` releases them)`)
  }
}

export const refund: Command = {
  name: 'refund',
  summary: 'take back a purchase within the video\'s refund window: you lose access and get what you paid',
  usage: 'refund VIDEO [--for ADDRESS|NAME (the viewer you bought it for)] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { for: { type: 'string' }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', refund))
    const ctx = await chainContext(args, 'required')
    const forWho = stringOpt(args, 'for')
    const viewer = forWho === undefined ? ctx.client.address : resolveAddress(forWho, ctx)
    const r = await ctx.client.refund(id, viewer)
    // The refund is credited in the AccessManager; take it out now, as the user expects.
    const w = await ctx.client.withdraw(r.asset)
    out.result({ video: id, viewer, asset: r.asset, amount: r.amount, withdrawn: w.amount, tx: r.receipt.transactionHash, withdrawTx: w.receipt.transactionHash }, () =>
      `refunded ${formatAmount(r.amount, r.asset)} for ${id.slice(0, 10)}…; ${displayName(viewer, ctx)} no longer has the access it bought (withdrew ${formatAmount(w.amount, r.asset)})`)
  }
}
