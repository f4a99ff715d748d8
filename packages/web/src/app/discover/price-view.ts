/** A listed video's price state for one viewer, from the chain (pure: unit-tested in test/app.test.ts). */
import type { AccessState } from '../wallet/session.ts'
import { formatUnits, priceLabel, type ListedVideo } from './api.ts'

export interface PriceView { state: string, label: string, detail: string }

function days (seconds: bigint): number {
  return Math.max(1, Math.round(Number(seconds) / 86_400))
}

/** What the chain says this viewer may do, as a label (pure: unit-tested). */
export function priceView (listed: Pick<ListedVideo, 'policy' | 'price'>, a: AccessState | undefined): PriceView {
  const policy = a?.video.policy ?? listed.policy
  if (policy === 'public') return { state: 'public', label: 'Free', detail: 'Anyone may watch this video.' }
  if (policy === 'private') return { state: 'private', label: 'Private', detail: 'Only people the creator named may watch it.' }
  if (a?.access === true) {
    if (policy === 'subscribers' && a.subscribed === true) return { state: 'subscribed', label: 'Included in your subscription', detail: 'Your subscription to this creator covers it.' }
    return { state: 'owned', label: 'Owned', detail: 'You may watch this video.' }
  }
  if (policy === 'subscribers') {
    const plan = a?.plan
    if (a !== undefined && plan === undefined) return { state: 'no-plan', label: 'Subscribers only', detail: 'This creator offers no subscription yet.' }
    return { state: 'subscribe', label: plan === undefined ? 'Subscribers' : `Subscribe for ${formatUnits(plan.amount)} ${plan.asset === 'eth' ? 'ETH' : 'P2PV'}`, detail: plan === undefined ? 'Included in a subscription to this creator.' : `${days(plan.period)} days of every video of this creator.` }
  }
  const price = a?.video.price
  if (a !== undefined && price === undefined) return { state: 'not-for-sale', label: 'Not for sale', detail: 'The creator has not set a price yet.' }
  const label = price === undefined ? priceLabel(listed) : `${formatUnits(price.amount)} ${price.asset === 'eth' ? 'ETH' : 'P2PV'}`
  const forGood = (price?.duration ?? listed.price?.durationSeconds) === 0n
  return { state: 'buy', label: `Buy for ${label}`, detail: forGood ? 'Yours to watch for good.' : 'Access for a limited time.' }
}
