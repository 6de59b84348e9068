import { expect } from 'chai';
import { MAX_PROGRESS_MESSAGE_BYTES, checkProgress, truncateUtf8 } from '../../../worker/progress-input';

describe('ctx.progress arguments', () => {
  it('accepts a fraction in [0, 1], with or without a message', () => {
    expect(checkProgress(0, undefined)).to.deep.equal({ fraction: 0, message: '' });
    expect(checkProgress(1, 'done')).to.deep.equal({ fraction: 1, message: 'done' });
    expect(checkProgress(0.25, '')).to.deep.equal({ fraction: 0.25, message: '' });
    expect(Object.is(checkProgress(-0, undefined).fraction, 0), '-0 becomes 0').to.equal(true);
  });

  it('throws a RangeError naming a fraction that is not a finite number in [0, 1]', () => {
    const cases: [unknown, string][] = [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [-0.01, '-0.01'],
      [1.5, '1.5'],
      ['0.5', "'0.5'"],
      [undefined, 'undefined'],
      [null, 'null'],
      [10n, '10n'],
    ];
    for (const [fraction, shown] of cases) {
      expect(() => checkProgress(fraction, undefined), shown).to.throw(RangeError, `fraction must be a finite number in [0, 1], got ${shown}`);
    }
  });

  it('throws a TypeError for a message that is not a string', () => {
    expect(() => checkProgress(0.5, 42)).to.throw(TypeError, 'message must be a string, got number');
  });

  it('cuts a message over 512 UTF-8 bytes at a character boundary', () => {
    expect(checkProgress(0.5, 'a'.repeat(600)).message).to.equal('a'.repeat(MAX_PROGRESS_MESSAGE_BYTES));
    // 'é' is 2 bytes: after 511 ASCII bytes it does not fit whole, so it goes.
    expect(checkProgress(0.5, `${'a'.repeat(511)}é`).message).to.equal('a'.repeat(511));
    expect(checkProgress(0.5, `${'a'.repeat(510)}é`).message, 'exactly 512 bytes stays').to.equal(`${'a'.repeat(510)}é`);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    for (const char of ['é', '€', '😀']) {
      for (let pad = 0; pad < 4; pad += 1) {
        const cut = truncateUtf8('a'.repeat(pad) + char.repeat(300), MAX_PROGRESS_MESSAGE_BYTES);
        expect(Buffer.byteLength(cut, 'utf8'), `${char} after ${pad}`).to.be.at.most(MAX_PROGRESS_MESSAGE_BYTES);
        expect(Buffer.byteLength(cut, 'utf8'), `${char} after ${pad}: nothing more fits`).to.be.above(MAX_PROGRESS_MESSAGE_BYTES - Buffer.byteLength(char));
        expect(cut, `${char} after ${pad}`).to.equal('a'.repeat(pad) + char.repeat((cut.length - pad) / char.length));
      }
    }
  });
});
