// The virtual Ledger's screen: what the device shows for each review, and who answers it (console, test, CLI).
import type { ScreenContent } from '../types';

export type ScreenAnswer = 'approve' | 'reject';
export type ScreenResponder = (content: ScreenContent) => Promise<ScreenAnswer> | ScreenAnswer;
/** 'cancelled': the review ended without an answer (device unplugged, locked, app closed). */
export type ScreenOutcome = 'approved' | 'rejected' | 'cancelled';

export interface ScreenRecord {
  content: ScreenContent;
  outcome: ScreenOutcome;
}

interface PendingReview {
  content: ScreenContent;
  settle: (outcome: ScreenOutcome) => void;
}

/**
 * One review at a time, like the device: the app blocks on its screen until the person acts.
 * With a responder installed the responder answers; without one the review waits for approve()/reject().
 */
export class VirtualScreen {
  private responder: ScreenResponder | null = null;
  private pending: PendingReview | null = null;
  private readonly records: ScreenRecord[] = [];
  private readonly shownListeners = new Set<(content: ScreenContent) => void>();

  /** What the screen shows now, or null when the device is idle (home screen). */
  get current(): ScreenContent | null {
    return this.pending ? cloneContent(this.pending.content) : null;
  }

  /** Every review shown so far, oldest first, with how it ended. */
  get history(): readonly ScreenRecord[] {
    return this.records.map((r) => ({ content: cloneContent(r.content), outcome: r.outcome }));
  }

  /** Installs (or, with null, removes) the party that answers reviews. */
  setResponder(fn: ScreenResponder | null): void {
    this.responder = fn;
    // A review already waiting is handed to the new responder, so installing one late does not strand it.
    if (fn && this.pending) this.ask(fn, this.pending);
  }

  /** Presses "approve" (hold to sign / both buttons) on the review being shown. */
  approve(): void {
    this.answer('approved');
  }

  /** Presses "reject" on the review being shown. */
  reject(): void {
    this.answer('rejected');
  }

  /** Resolves with the next review shown (or the current one), for scripts that answer by hand. */
  nextReview(): Promise<ScreenContent> {
    if (this.pending) return Promise.resolve(cloneContent(this.pending.content));
    return new Promise((resolve) => {
      const listener = (content: ScreenContent) => {
        this.shownListeners.delete(listener);
        resolve(cloneContent(content));
      };
      this.shownListeners.add(listener);
    });
  }

  /** Device side: shows a review and resolves once it ended. Only the emulated app calls this. */
  show(content: ScreenContent): Promise<ScreenOutcome> {
    if (this.pending) throw new Error('VirtualScreen: a review is already shown');
    return new Promise<ScreenOutcome>((resolve) => {
      const review: PendingReview = {
        content: cloneContent(content),
        settle: (outcome) => {
          if (this.pending !== review) return;
          this.pending = null;
          this.records.push({ content: review.content, outcome });
          resolve(outcome);
        },
      };
      this.pending = review;
      for (const listener of [...this.shownListeners]) listener(review.content);
      if (this.responder) this.ask(this.responder, review);
    });
  }

  /** Device side: ends the current review without an answer (power loss, lock, app closed). */
  cancel(): void {
    this.pending?.settle('cancelled');
  }

  private answer(outcome: ScreenOutcome): void {
    if (!this.pending) throw new Error('VirtualScreen: no review is being shown');
    this.pending.settle(outcome);
  }

  private ask(responder: ScreenResponder, review: PendingReview): void {
    // A responder that throws cannot have approved: treat it as a rejection, never as consent.
    let answer: Promise<ScreenAnswer>;
    try {
      answer = Promise.resolve(responder(cloneContent(review.content)));
    } catch {
      answer = Promise.resolve('reject');
    }
    answer.then(
      (a) => review.settle(a === 'approve' ? 'approved' : 'rejected'),
      () => review.settle('rejected'),
    );
  }
}

function cloneContent(c: ScreenContent): ScreenContent {
  return { operation: c.operation, title: c.title, fields: c.fields.map((f) => ({ label: f.label, value: f.value })) };
}
