import { WharfError } from '../../src/errors.js';

/** The WharfError `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): WharfError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WharfError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

/** The WharfError `p` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejectionOf(p: Promise<unknown>): Promise<WharfError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WharfError) return err;
    throw err;
  }
  throw new Error('expected a rejection with a WharfError');
}
