import { expect } from 'chai';
import { LEASE_MESSAGE_BYTES, MAX_HOSTNAME_LENGTH, leaseMessages, validateHello } from '../../../coordinator/api/worker-messages';
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

describe('leaseMessages', () => {
  it('puts small leases in one message, starts another past the byte limit, and sends a large lease alone', () => {
    const small = LEASE_MESSAGE_BYTES / 4;
    const sizes = [small, small, small, small, 1, LEASE_MESSAGE_BYTES * 2, 1];
    const messages = leaseMessages(sizes.map((bytes, index) => ({ index, bytes })), (lease) => lease.bytes);
    expect(messages.map((message) => message.map((lease) => lease.index))).to.deep.equal([[0, 1, 2, 3], [4], [5], [6]]);
    expect(leaseMessages([], () => 0)).to.deep.equal([]);
  });
});

