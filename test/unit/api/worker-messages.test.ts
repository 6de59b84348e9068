import { expect } from 'chai';
import { MAX_HOSTNAME_LENGTH, validateHello } from '../../../coordinator/api/worker-messages';
import { ANONYMOUS } from '../../../coordinator/security/principal';
import { InvalidArgumentError } from '../../../shared/errors';
import type { Hello } from '../../../shared/gen/baton/v1/worker_service';

const HELLO: Hello = { workerId: 'w1', queues: ['a'], taskTypes: [], concurrency: 2, heldLeaseIds: [], resumeSecret: '' };

describe('validateHello: hostname', () => {
  it('keeps the hostname a worker gives, and an empty one when it gives none', () => {
    expect(validateHello({ ...HELLO, hostname: 'box-1.example.com' }, ANONYMOUS).hostname).to.equal('box-1.example.com');
    expect(validateHello(HELLO, ANONYMOUS).hostname).to.equal('');
  });

  it('refuses a hostname too long, or with control characters that a terminal would obey', () => {
    const refusal = (hostname: string): string => {
      try {
        validateHello({ ...HELLO, hostname }, ANONYMOUS);
      } catch (err: unknown) {
        expect(err).to.be.instanceOf(InvalidArgumentError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal('h'.repeat(MAX_HOSTNAME_LENGTH + 1))).to.equal(`hello.hostname: ${MAX_HOSTNAME_LENGTH + 1} characters is over the limit of ${MAX_HOSTNAME_LENGTH}`);
    expect(refusal('box\u001b[2J')).to.equal('hello.hostname: holds control characters');
    expect(refusal('box\u009b2J')).to.equal('hello.hostname: holds control characters');
    expect(validateHello({ ...HELLO, hostname: 'h'.repeat(MAX_HOSTNAME_LENGTH) }, ANONYMOUS).hostname).to.have.length(MAX_HOSTNAME_LENGTH);
  });
});
