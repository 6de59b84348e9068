import { expect } from 'chai';
import { ZoneTransitions } from '../../../coordinator/schedules/zone-transitions';

const HOUR_MS = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

describe('ZoneTransitions', () => {
  it("finds a year's DST changes to the second, each the first instant of the new offset", () => {
    const zone = ZoneTransitions.of('America/New_York');
    const changes = zone.transitionsIn(at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'));
    expect(changes.map((ms) => new Date(ms).toISOString())).to.deep.equal(['2026-03-08T07:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    expect(zone.offsetMsAt(at('2026-03-08T07:00:00Z') - 1)).to.equal(-5 * HOUR_MS);
    expect(zone.offsetMsAt(at('2026-03-08T07:00:00Z'))).to.equal(-4 * HOUR_MS);
  });

  it('finds changes across a year boundary, and none in a zone without DST', () => {
    const auckland = ZoneTransitions.of('Pacific/Auckland');
    expect(auckland.transitionsIn(at('2025-09-01T00:00:00Z'), at('2026-05-01T00:00:00Z'))).to.have.length(2);
    expect(ZoneTransitions.of('Asia/Kolkata').transitionsIn(at('2020-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).to.deep.equal([]);
    expect(ZoneTransitions.of('Asia/Kolkata').offsetMsAt(at('2026-06-01T00:00:00Z'))).to.equal(5.5 * HOUR_MS);
  });

  it('reads a change in (from, to]: the end is included, the start is not', () => {
    const zone = ZoneTransitions.of('Europe/Berlin');
    const changeMs = at('2026-10-25T01:00:00Z');
    expect(zone.lastTransitionIn(changeMs - 1, changeMs)).to.equal(changeMs);
    expect(zone.lastTransitionIn(changeMs, changeMs + HOUR_MS)).to.equal(undefined);
  });
});
