// Maps each error code of the contract to what a person should do next, in plain words.
import type { CustosErrorData, ErrorCode } from '../preload/contract';
import { CustosFailure } from './api';

export interface ErrorAdvice {
  /** A short heading: what the person should do. */
  action: string;
  /** Whether the person can fix it at the device (the UI shows it as a warning, not a fault). */
  severity: 'warning' | 'error';
}

// A Record over ErrorCode: adding a code to the contract fails the type check until it is mapped here.
const ADVICE: Record<ErrorCode, ErrorAdvice> = {
  BAD_INPUT: { action: 'Check what you entered', severity: 'warning' },
  UNKNOWN_CHANNEL: { action: 'Update Custos: this screen asked for something this version does not offer', severity: 'error' },
  FORBIDDEN_SENDER: { action: 'Reload the window: the request did not come from the Custos console', severity: 'error' },
  INTERNAL: { action: 'Try again; if it keeps happening, restart Custos and send the log to your administrator', severity: 'error' },
  DEVICE_NOT_FOUND: { action: 'Reconnect the device, or pick another one', severity: 'warning' },
  DEVICE_LOCKED: { action: 'Unlock your Ledger', severity: 'warning' },
  WRONG_APP: { action: 'Open the Ethereum app on your Ledger', severity: 'warning' },
  APP_TOO_OLD: { action: 'Update the Ethereum app with Ledger Live', severity: 'warning' },
  REJECTED_ON_DEVICE: { action: 'You rejected this on the device', severity: 'warning' },
  BLIND_SIGNING_REQUIRED: { action: 'Enable "Blind signing" in the Ethereum app settings on your Ledger', severity: 'warning' },
  DEVICE_DISCONNECTED: { action: 'Reconnect your Ledger, unlock it and open the Ethereum app', severity: 'warning' },
  DEVICE_BUSY: { action: 'Finish or reject what the device is showing, then try again', severity: 'warning' },
  DEVICE_IN_USE: { action: 'Close Ledger Live or any other program using the Ledger', severity: 'warning' },
  DEVICE_TIMEOUT: { action: 'Nothing was confirmed in time: try again when you are at the device', severity: 'warning' },
  DEVICE_BAD_RESPONSE: { action: 'Reconnect the device and try again; if it repeats, do not use this device', severity: 'error' },
  DEVICE_ERROR: { action: 'Reconnect the device and try again', severity: 'error' },
  MPC_HOST_UNAVAILABLE: { action: 'Restart Custos: its signing process is not running', severity: 'error' },
  MPC_PROTOCOL: { action: 'Stop and tell your administrator: the signing ceremony failed a check', severity: 'error' },
  // A ceremony's outcome is recorded only at its end: after a failure it is still owed, and running it again is the fix.
  MPC_CEREMONY_FAILED: {
    action: "Check that every custodian's Ledger is connected, unlocked and in the Ethereum app, then run the key ceremony again",
    severity: 'error',
  },
  POLICY_DENIED: {
    action: "The wallet's policy does not allow this: read the reason below, then change the transfer (destination, amount, timing) or ask the administrators to propose a policy that allows it",
    severity: 'warning',
  },
  VAULT_NOT_FOUND: { action: 'Create the vault first (or open the folder that holds it)', severity: 'warning' },
  VAULT_EXISTS: { action: 'This folder already holds a vault: open it instead of creating another', severity: 'warning' },
  NOT_FOUND: { action: 'Reload the list: what you acted on is no longer there', severity: 'warning' },
  NOT_AUTHORISED: { action: 'Act with the device of a member who holds the needed role (see "Acting as")', severity: 'warning' },
  RULE_VIOLATION: { action: "Change the request so it keeps to the vault's rules", severity: 'warning' },
  TAMPERING_DETECTED: {
    action: "Stop and tell your administrators: the vault's records were altered outside Custos, and it refuses to act",
    severity: 'error',
  },
  DATABASE_TOO_NEW: { action: 'Update Custos: this vault was written by a newer version', severity: 'error' },
  STORE_ERROR: { action: 'Check the disk (space, permissions), then try again; nothing was changed', severity: 'error' },
  TEAM_UNREACHABLE: { action: "Check the network and that the team's server is running, then try again", severity: 'warning' },
  TEAM_AUTH: { action: "Check the team credential with your server's administrator (user, password file, permissions)", severity: 'error' },
  TEAM_TLS: { action: "Check the TLS files (the team's CA, your client certificate and key) with your server's administrator", severity: 'error' },
  TEAM_STREAM: { action: "Check the vault id and genesis administrator you were given: the team's log is not this vault's", severity: 'error' },
};

/** What a failure means for the person depends on what they were doing: a domain may say it in its own words. */
export type AdviceTopic = 'transfer';

// Transfers: requesting, deciding and signing under the wallet's policy. Main's message says which case it is.
const TRANSFER_ADVICE: Partial<Record<ErrorCode, ErrorAdvice>> = {
  POLICY_DENIED: {
    action:
      "The wallet's policy does not let this request go ahead now (no rule matches, a velocity limit, its delay, or it was rejected): read why below. A new request that fits the policy, or a policy the administrators adopt, is the way forward",
    severity: 'warning',
  },
  NOT_AUTHORISED: {
    action: "Act with the right device: an operator's to request a transfer, and to approve or reject, the device of a member of a group whose step still misses approvals",
    severity: 'warning',
  },
  RULE_VIOLATION: {
    action: 'The wallet is not ready for this: it needs its key, a policy in force, and recorded coins that no open request holds',
    severity: 'warning',
  },
  DEVICE_NOT_FOUND: {
    action: "Connect enough of the wallet's custodians' Ledgers (its threshold), unlock them and open the Ethereum app, then sign again",
    severity: 'warning',
  },
  REJECTED_ON_DEVICE: { action: 'A device screen was rejected: nothing was recorded or signed. Start again when you mean to go ahead', severity: 'warning' },
  MPC_PROTOCOL: { action: 'Do not retry: tell your administrators. The signing process refused the request after checking its evidence', severity: 'error' },
};

const TOPICS: Record<AdviceTopic, Partial<Record<ErrorCode, ErrorAdvice>>> = { transfer: TRANSFER_ADVICE };

const FALLBACK: ErrorAdvice = { action: 'Try again; if it keeps happening, restart Custos', severity: 'error' };

export function adviceFor(code: ErrorCode | string, topic?: AdviceTopic): ErrorAdvice {
  const specific = topic ? (TOPICS[topic] as Record<string, ErrorAdvice | undefined>)[code] : undefined;
  return specific ?? (ADVICE as Record<string, ErrorAdvice>)[code] ?? FALLBACK;
}

/** Any thrown value as error data fit to show: a CustosFailure keeps main's message, anything else says nothing raw. */
export function errorData(err: unknown): CustosErrorData {
  if (err instanceof CustosFailure) return err.data;
  return { code: 'INTERNAL', message: 'Something went wrong in the console. Nothing was changed.' };
}
