import { InvalidArgumentError } from '../../shared/errors';

export const MAX_NAME_LENGTH = 128;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;

/**
 * Checks a queue, task type or worker id: 1-128 characters, letters, digits and `_ . : / -`,
 * starting with a letter or digit.
 * @throws InvalidArgumentError naming `field`.
 */
export function checkName(value: string, field: string): void {
  if (value === '') throw new InvalidArgumentError(`${field}: must not be empty`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`${field}: ${value.length} characters is over the limit of ${MAX_NAME_LENGTH}`);
  }
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      `${field}: "${value}" has characters outside letters, digits and _ . : / - (or does not start with a letter or digit)`,
    );
  }
}
