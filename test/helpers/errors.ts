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
