import { expect } from 'chai';
import { RefusalLog, REFUSAL_LOG_INTERVAL_MS } from '../../../coordinator/api/refusal-log';
import { InvalidArgumentError, PermissionDeniedError, UnauthenticatedError } from '../../../shared/errors';
import type { Logger } from '../../../shared/logger';

describe('RefusalLog', () => {
  it('counts every refusal, logs at most one line per interval with how many came since, and ignores other errors', () => {
    let nowMs = 0;
    const lines: Array<Record<string, unknown>> = [];
    const counted: string[] = [];
    const logger = { warn: (fields: Record<string, unknown>) => void lines.push(fields) } as unknown as Logger;
    const log = new RefusalLog(logger, () => nowMs, (code) => void counted.push(code));
    log.note('GetTask', new UnauthenticatedError('invalid token'), '127.0.0.1:1');
    for (let i = 0; i < 50; i += 1) log.note('GetTask', new PermissionDeniedError('not your queue'), '127.0.0.1:1');
    log.note('GetTask', new InvalidArgumentError('id: bad'), '127.0.0.1:1');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ method: 'GetTask', code: 'UNAUTHENTICATED', refused_since_last_line: 1 });
    nowMs += REFUSAL_LOG_INTERVAL_MS;
    log.note('Connect', new PermissionDeniedError('Connect needs the worker role'), '127.0.0.1:2');
    expect(lines).to.have.length(2);
    expect(lines[1]).to.include({ method: 'Connect', refused_since_last_line: 51 });
    expect(counted).to.have.length(52);
  });
});
