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
    let second = false;
    const pending = w.sleep(50).then(() => (second = true));
    expect(second).toBe(false);
    await pending; // ended by its own timer, not by the earlier fire
    expect(second).toBe(true);
  });
});
