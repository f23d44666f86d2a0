/**
 * The API token of this browser tab: kept in sessionStorage (gone when the tab closes, never in a
 * URL, never sent anywhere but the Authorization header of the dashboard's own API requests).
 */
const TOKEN_KEY = 'livestack.apiToken';

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
