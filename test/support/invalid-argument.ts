import { expect } from 'chai';
import { BatonError } from '../../shared/errors';

/** The INVALID_ARGUMENT error `fn` throws; fails the test if it throws nothing or anything else. */
export function invalidArgument(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (err: unknown) {
    expect(err).to.be.instanceOf(BatonError);
    expect((err as BatonError).code).to.equal('INVALID_ARGUMENT');
    return err as BatonError;
  }
  throw new Error('expected an INVALID_ARGUMENT error');
}

/** The message of the INVALID_ARGUMENT error `fn` throws. */
export function refusalOf(fn: () => unknown): string {
  return invalidArgument(fn).message;
}
