import { describeError, WharfError } from '../../errors.js';
import type { TestResult, TestStep } from '../types.js';
import { scrub } from './errors.js';

/**
 * The step list of a test-connection run: each step runs only while the earlier ones passed, and
 * each failure is written in plain words (the WharfError's message and hint), secrets scrubbed.
 */
export class Steps {
  readonly steps: TestStep[] = [];
  private failed = false;

  constructor(private readonly secrets: readonly string[] = []) {}

  get ok(): boolean {
    return !this.failed;
  }

  /** Runs `fn` when nothing failed yet; its return value is the step's detail. */
  async run(step: string, fn: () => Promise<string>): Promise<boolean> {
    if (this.failed) return false;
    try {
      const detail = await fn();
      this.steps.push({ step, ok: true, detail: scrub(detail, this.secrets) });
      return true;
    } catch (err) {
      this.fail(step, err instanceof WharfError ? describeError(err) : `unexpected error: ${describeError(err)}`);
      return false;
    }
  }

  fail(step: string, detail: string): void {
    this.failed = true;
    this.steps.push({ step, ok: false, detail: scrub(detail, this.secrets) });
  }

  result(): TestResult {
    return { ok: !this.failed, steps: this.steps };
  }
}
