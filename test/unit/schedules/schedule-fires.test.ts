import { expect } from 'chai';
import { applyOverlap } from '../../../coordinator/schedules/schedule-fires';

describe('applyOverlap', () => {
  it('lets every due fire through under "allow"', () => {
    expect(applyOverlap('allow', [1, 2, 3], true, null)).to.deep.equal({ fire: [1, 2, 3], skipped: 0, buffered: null });
  });

  it('lets one fire through under "skip" when the previous task is done, none while it runs, and counts the rest', () => {
    expect(applyOverlap('skip', [1, 2, 3], false, null)).to.deep.equal({ fire: [1], skipped: 2, buffered: null });
    expect(applyOverlap('skip', [1, 2, 3], true, null)).to.deep.equal({ fire: [], skipped: 3, buffered: null });
  });

  it('keeps the latest held-back fire under "buffer_one", counting the ones it replaces', () => {
    expect(applyOverlap('buffer_one', [1, 2, 3], true, null)).to.deep.equal({ fire: [], skipped: 2, buffered: 3 });
    expect(applyOverlap('buffer_one', [4], true, 3)).to.deep.equal({ fire: [], skipped: 1, buffered: 4 });
    expect(applyOverlap('buffer_one', [1, 2], false, null)).to.deep.equal({ fire: [1], skipped: 0, buffered: 2 });
  });

  it('sends a buffered fire whose wait is over before the due ones, in order', () => {
    expect(applyOverlap('buffer_one', [5], false, 4)).to.deep.equal({ fire: [4], skipped: 0, buffered: 5 });
    expect(applyOverlap('buffer_one', [], false, 4)).to.deep.equal({ fire: [4], skipped: 0, buffered: null });
    expect(applyOverlap('skip', [5], false, 4)).to.deep.equal({ fire: [4], skipped: 1, buffered: null });
  });
});
