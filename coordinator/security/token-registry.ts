import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { ConfigError, errorMessage } from '../../shared/errors';
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
      throw new ConfigError(path, `cannot read the tokens file: ${errorMessage(err)}`, { cause: err });
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
