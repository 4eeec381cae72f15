// What a key ceremony's progress events add up to: each stage's state and steps, for the progress view (pure, no store).
import type { KeyCeremony, WalletProgress } from '../preload/contract';
import { nodeRows, nodeRowTone, nodeRowWords } from './node-progress';

export const CEREMONY_NAMES: Record<KeyCeremony, string> = {
  dkg: 'Key generation',
  refresh: 'Share refresh',
  reshare: 'Reshare',
};

/** What each ceremony does, in one sentence a custodian can act on. */
export const CEREMONY_ABOUT: Record<KeyCeremony, string> = {
  dkg: "The custodians' devices together make the wallet's key; each custodian ends up with a share sealed to their own device, and no one ever holds the whole key.",
  refresh: 'The custodians replace their shares with new ones of the same key: the addresses stay, and old shares become useless.',
  reshare: 'The key is dealt anew to the new custodians and threshold: the addresses stay, and the shares of anyone removed become useless.',
};

export type StageName = 'devices' | 'host' | 'nodes' | 'record';
export type StepState = 'waiting' | 'active' | 'done' | 'failed';

export interface StepSummary {
  step: string;
  message: string;
  state: StepState;
}

export interface StageSummary {
  stage: StageName;
  label: string;
  state: StepState;
  done: number;
  total: number;
  steps: StepSummary[];
  /** The stage's own last word ("Every custodian contributed"), when main reported the stage as a whole. */
  note: string | null;
}

export interface ProgressSummary {
  outcome: 'idle' | 'running' | 'done' | 'failed';
  /** The last thing main said (the failure's reason when it failed). */
  message: string | null;
  stages: StageSummary[];
}

const STAGES: { stage: StageName; label: string }[] = [
  { stage: 'devices', label: "Custodians' devices" },
  { stage: 'host', label: 'Key rounds (MPC host)' },
  { stage: 'record', label: 'Recording the key' },
];

// In a team the custodians' signer nodes run the ceremony (each with its custodian's device): the console's devices
// and MPC host take no part, and the nodes' coordinator records the key they attest.
const TEAM_STAGES: { stage: StageName; label: string }[] = [
  { stage: 'nodes', label: "Custodians' signer nodes" },
  { stage: 'record', label: 'Recording the key' },
];

/**
 * `ended`: how the run ended as far as the console knows (an event, or main's answer to the call), else null. A run
 * is told as a team's once an event of the 'nodes' stage arrived (main sends only those in a team).
 */
export function summariseProgress(events: readonly WalletProgress[], running: boolean, ended: 'done' | 'failed' | null): ProgressSummary {
  const outcome: ProgressSummary['outcome'] = ended ?? (running || events.length ? 'running' : 'idle');
  const stagesOfRun = events.some((e) => e.stage === 'nodes') ? TEAM_STAGES : STAGES;
  // The stage in hand: where the last step-bearing event was (a failure is reported as its own stage).
  const lastWork = [...events].reverse().find((e) => e.stage !== 'done' && e.stage !== 'failed');
  const current = stagesOfRun.findIndex((s) => s.stage === (lastWork?.stage ?? stagesOfRun[0]?.stage));

  const stages = stagesOfRun.map(({ stage, label }, index): StageSummary => {
    const mine = events.filter((e) => e.stage === stage);
    let state: StepState;
    if (outcome === 'done') state = 'done';
    else if (outcome === 'idle' || index > current) state = 'waiting';
    else if (index < current) state = 'done';
    else state = outcome === 'failed' ? 'failed' : 'active';

    // One row per step, in the order steps began, each with the latest word on it. An event whose step is named
    // after its stage speaks for the whole stage (main's "devices: every custodian contributed"): it is a note.
    const order: string[] = [];
    const latest = new Map<string, string>();
    let note: string | null = null;
    for (const e of mine) {
      if (e.step === stage) {
        note = e.message;
        continue;
      }
      if (!latest.has(e.step)) order.push(e.step);
      // The row names the step already, and main's message often repeats it ("Bob: approve on your Ledger").
      latest.set(e.step, e.message.startsWith(`${e.step}: `) ? e.message.slice(e.step.length + 2) : e.message);
    }
    if (stage === 'nodes') return { stage, label, state, done: 0, total: 0, steps: nodeSteps(mine, state), note };
    const steps = order.map((step, i): StepSummary => {
      const isLast = i === order.length - 1;
      // The last step of a stage in hand is the one going (or the one that failed), unless the stage's note closed it.
      const open = isLast && note === null;
      const stepState: StepState = state === 'active' || state === 'failed' ? (open ? state : 'done') : state;
      return { step, message: latest.get(step) ?? '', state: stepState };
    });
    const tail = mine.at(-1);
    const total = tail?.total ?? 0;
    // Main reports a step's count as it starts it; a stage that is over counts in full.
    const done = state === 'done' ? total : (tail?.done ?? 0);
    return { stage, label, state, done, total, steps, note };
  });

  // An ended run is described by its ending event only: the last step's words would say it is still going.
  const ending = outcome === 'done' || outcome === 'failed' ? events.find((e) => e.stage === outcome) : events.at(-1);
  return { outcome, message: ending?.message ?? null, stages };
}

/**
 * The nodes' stage: one row per custodian's node with its last state in words (its rounds answered too). A refusal
 * or no answer is marked failed, an attestation done; the others follow the stage.
 */
function nodeSteps(events: readonly WalletProgress[], stage: StepState): StepSummary[] {
  const rows = nodeRows(events.flatMap((e) => (e.node ? [e.node] : [])));
  return rows.map((r): StepSummary => {
    const tone = nodeRowTone(r);
    const state: StepState = tone === 'bad' ? 'failed' : tone === 'good' || stage === 'done' ? 'done' : stage === 'active' ? 'active' : 'waiting';
    return { step: `${r.custodian}'s node`, message: nodeRowWords(r), state };
  });
}
