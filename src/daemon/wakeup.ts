/**
 * A loop's sleep that a wake-up can cut short, without losing a wake-up that comes while the loop is
 * busy (a delivery pass, a poll): that one is kept and the next `sleep` returns at once. Without
 * it, records committed during a delivery pass waited a full `delivery.intervalMs`.
 */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  /** Ends the current sleep now, or the next one as soon as it starts. */
  fire(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      wake();
    } else this.pending = true;
  }

  /** Waits `ms` milliseconds, or until `fire` (also a `fire` since the last sleep ended). */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
