import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../shared/errors';
import { hashToken, parseTokensFile, type TokenGrant } from './tokens-file';

/** The accepted tokens, by hash only. */
export class TokenRegistry {
  private constructor(private readonly grants: readonly TokenGrant[]) {}

  /** @throws ConfigError naming the file and the bad entry. */
  static fromFile(path: string): TokenRegistry {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err: unknown) {
      // Neither the value nor Node's message (which repeats it) is shown: a user who put the
      // tokens themselves where the file's name goes would see them in the log.
      const code = (err as { code?: unknown }).code;
      const shown = looksLikePath(path) ? path : 'the value given, which does not look like a file path (put the tokens in a file and name the file)';
      throw new ConfigError('tokens', `cannot read the tokens file ${shown}: ${typeof code === 'string' ? code : 'unreadable'}`);
    }
    return new TokenRegistry(parseTokensFile(text, path));
  }

  static of(grants: readonly TokenGrant[]): TokenRegistry {
    return new TokenRegistry(grants);
  }

  get size(): number {
    return this.grants.length;
  }

  /** The grant whose token hashes to `hex`: for re-checking a caller authenticated earlier. */
  byHash(hex: string): TokenGrant | undefined {
    return this.grants.find((grant) => grant.hash.toString('hex') === hex);
  }

  /**
   * The grant of a presented token, or undefined. Compares the token's hash with every
   * grant's in constant time and never stops early, so timing says nothing about which
   * grant, if any, came close.
   */
  verify(token: string): TokenGrant | undefined {
    const presented = hashToken(token);
    let found: TokenGrant | undefined;
    for (const grant of this.grants) {
      if (timingSafeEqual(presented, grant.hash) && found === undefined) found = grant;
    }
    return found;
  }
}

/** A short, single-line value without JSON or token-file syntax in it. */
function looksLikePath(value: string): boolean {
  return value.length <= 1024 && !/[\n{}\s]/.test(value);
}
