// What the acting person may do now, for every action the console offers: the refusals the services enforce, as data.
import type { AccessView, Permission } from '../preload/contract';
import type { CustosError } from './errors';
import { cancelRefusal, requestRefusal, signRefusal, transferDecisionRefusal } from './transfers/permissions';
import type { TransferService } from './transfers/service';
import { ceremonyRefusal } from './wallets/ceremonies';
import { administratorRefusal, memberRefusal, proposalDecisionRefusal } from './vault/permissions';
import type { VaultService } from './vault/service';

const answer = (refusal: CustosError | null): Permission => ({ allowed: refusal === null, reason: refusal?.message ?? null });

/** Reads the acting device's identity (no screen), then answers each action with the function its service enforces. */
export async function accessFor(vault: VaultService, transfers: Pick<TransferService, 'decision' | 'now'>, deviceId: string): Promise<AccessView> {
  const { state, header } = vault.readProjection();
  const { address, user } = await vault.identify(deviceId, state, header);
  const member = memberRefusal(state, user, address);
  const view: AccessView = {
    person: user === undefined ? null : { id: user.id, name: user.name, roles: [...user.roles] },
    propose: answer(administratorRefusal(state, user, address, 'propose changes')),
    wallets: {},
    proposals: {},
    transfers: {},
  };
  for (const wallet of state.wallets) {
    view.wallets[wallet.id] = {
      request: answer(member ?? (user === undefined ? null : requestRefusal(state, user, wallet))),
      ceremony: answer(ceremonyRefusal(state, wallet)),
    };
  }
  for (const proposal of state.proposals.filter((p) => p.status === 'pending')) {
    view.proposals[proposal.id] = { decide: answer(proposalDecisionRefusal(state, proposal, user, address)) };
  }
  for (const t of state.transfers.filter((x) => x.signed === null && x.cancelled === null)) {
    const decision = transfers.decision(state, t);
    view.transfers[t.id] = {
      decide: answer(member ?? (user === undefined ? null : transferDecisionRefusal(state, t, decision, user))),
      cancel: answer(member ?? (user === undefined ? null : cancelRefusal(t, user))),
      sign: answer(signRefusal(state, t, decision, transfers.now())),
    };
  }
  return view;
}
