// The token lives in sessionStorage so that it goes away with the tab, never in a cookie:
// a bearer header cannot be sent by another site's form, a cookie could.
const KEY = 'baton.token';

export function getToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage disabled (some private modes): run without a token
  }
}

export function setToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Nothing to do: the user will be asked again on the next 401.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // As above.
  }
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}
