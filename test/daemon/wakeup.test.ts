import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../src/daemon/wakeup.js';

describe('Wakeup', () => {
  it('a fire while the loop is busy is kept: the next sleep returns at once (the lost wake-up)', async () => {
    const w = new Wakeup();
    w.fire(); // e.g. records committed during a delivery pass
    const started = Date.now();
    await w.sleep(60_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a fire during a sleep ends it; one fire ends one sleep only', async () => {
    const w = new Wakeup();
    const first = w.sleep(60_000);
    w.fire();
    await first;
    // The earlier fire is used up: the next sleep is ended by nothing but a new fire.
    const next = w.sleep(60_000).then(() => 'woken');
    const winner = await Promise.race([next, new Promise((resolve) => setTimeout(() => resolve('still asleep'), 50))]);
    expect(winner).toBe('still asleep');
    w.fire();
    expect(await next).toBe('woken');
  });
});
