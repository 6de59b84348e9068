import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  /** Why we ask: first visit, or a token the coordinator refused. */
  rejected: boolean;
  onSubmit: (token: string) => void;
}

export function SignIn({ rejected, onSubmit }: Props) {
  const [token, setToken] = useState('');
  const [invalid, setInvalid] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <section class="signin card">
      <h1>Sign in</h1>
      <p class="muted">
        {rejected
          ? 'The coordinator did not accept that token. Try another.'
          : 'This coordinator requires a token. It is kept in this tab only, until you sign out or close it.'}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const t = token.trim();
          // A header can carry only printable ASCII, and tokens are made of it: say so here
          // rather than let the request fail as if the coordinator were down.
          if (!/^[\x21-\x7e]+$/.test(t)) {
            setInvalid(t !== '');
            return;
          }
          setInvalid(false);
          onSubmit(t);
        }}
      >
        <label for="signin-token">Token</label>
        {invalid && <p class="error-text">That is not a token: tokens are letters, digits and punctuation, without spaces.</p>}
        <input
          ref={input}
          id="signin-token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          data-testid="signin-token"
          required
        />
        <button type="submit" class="primary" data-testid="signin-submit">
          Sign in
        </button>
      </form>
    </section>
  );
}
