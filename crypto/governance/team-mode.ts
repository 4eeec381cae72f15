// What the single desk may no longer do once the signed log says the vault moved to team mode (enter-team-mode).
import type { GovernanceState } from './types.js';

/**
 * Why the console's MPC host must refuse to `doing` (sign, make or reshare a key with shares brought to it) for this
 * vault, or null on a single desk. Every process that replays the log decides it from the log alone: the data
 * folder's team settings, or what a compromised main says, play no part.
 */
export function singleDeskRefusal(state: GovernanceState, doing: string): string | null {
  if (state.teamModeSince === undefined) return null;
  return `this vault is in team mode by record ${state.teamModeSince}: its keys are made and used only by the custodians' signer nodes, and this MPC host refuses to ${doing} with shares brought to it`;
}
