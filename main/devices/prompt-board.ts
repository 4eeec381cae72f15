// The screens devices are showing right now, as prompts the UI displays; virtual ones wait for Approve or Reject.
import { randomUUID } from 'node:crypto';
import type { DeviceKind, DevicePrompt } from '../../preload/contract';
import { CustosError } from '../errors';
import { instructionFor } from './expected-screens';
import type { ScreenContent } from './types';

export type PromptOutcome = 'approved' | 'rejected' | 'cancelled';
export interface PromptListener {
  shown(prompt: DevicePrompt): void;
  ended(promptId: string, outcome: PromptOutcome): void;
}

interface Pending {
  prompt: DevicePrompt;
  /** Present for virtual screens: answers the device (a cancelled screen answers as rejected). */
  settle?: (decision: 'approve' | 'reject', outcome: PromptOutcome) => void;
}

export class PromptBoard {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly listener: PromptListener) {}

  list(): DevicePrompt[] {
    return [...this.pending.values()].map((p) => p.prompt);
  }

  /** `purpose`: what the screen's operation is for, when the device's own screen cannot say it (a shared secret). */
  private create(deviceId: string, kind: DeviceKind, content: ScreenContent, purpose?: string): DevicePrompt {
    const instruction = instructionFor(kind, content.operation);
    return { promptId: randomUUID(), deviceId, kind, ...content, instruction: purpose === undefined ? instruction : `${purpose} ${instruction}` };
  }

  /** A virtual device's screen: resolves when the person (or a script) approves or rejects it. */
  ask(deviceId: string, content: ScreenContent, purpose?: string): Promise<'approve' | 'reject'> {
    const prompt = this.create(deviceId, 'virtual', content, purpose);
    return new Promise((resolve) => {
      this.pending.set(prompt.promptId, {
        prompt,
        settle: (decision, outcome) => {
          this.pending.delete(prompt.promptId);
          this.listener.ended(prompt.promptId, outcome);
          resolve(decision);
        },
      });
      this.listener.shown(prompt);
    });
  }

  /** A USB device's screen: shown until `end` is called when the exchange finishes. */
  show(deviceId: string, content: ScreenContent, purpose?: string): { end(outcome: PromptOutcome): void } {
    const prompt = this.create(deviceId, 'usb', content, purpose);
    this.pending.set(prompt.promptId, { prompt });
    this.listener.shown(prompt);
    return {
      end: (outcome) => {
        if (this.pending.delete(prompt.promptId)) this.listener.ended(prompt.promptId, outcome);
      },
    };
  }

  respond(promptId: string, decision: 'approve' | 'reject'): void {
    const entry = this.pending.get(promptId);
    if (!entry) throw new CustosError('BAD_INPUT', 'That device prompt is no longer waiting (it was answered, cancelled or timed out).');
    if (!entry.settle) {
      throw new CustosError('BAD_INPUT', 'This prompt is on a USB Ledger: approve or reject it on the device itself.');
    }
    entry.settle(decision, decision === 'approve' ? 'approved' : 'rejected');
  }

  /** Ends every prompt of a device, rejecting virtual ones (the exchange was abandoned). */
  cancelDevice(deviceId: string): void {
    for (const [id, entry] of this.pending) {
      if (entry.prompt.deviceId !== deviceId) continue;
      if (entry.settle) {
        entry.settle('reject', 'cancelled');
      } else {
        this.pending.delete(id);
        this.listener.ended(id, 'cancelled');
      }
    }
  }
}
