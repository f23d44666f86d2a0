/**
 * API token format: `lst_<token id>_<secret>`. The id finds the stored token in one lookup; only
 * the secret's SHA-256 is stored, which is enough for a random 32-character secret (~190 bits:
 * nothing to brute-force, so no slow password hash is needed).
 */
export const API_TOKEN_PREFIX = 'lst_';
export const API_TOKEN_SECRET_LENGTH = 32;

const API_TOKEN = new RegExp(`^${API_TOKEN_PREFIX}([a-z0-9]{8})_([A-Za-z0-9]{${API_TOKEN_SECRET_LENGTH}})$`);

export function formatApiToken(tokenId: string, secret: string): string {
  return `${API_TOKEN_PREFIX}${tokenId}_${secret}`;
}

export function parseApiToken(text: string): { tokenId: string; secret: string } | null {
  const match = API_TOKEN.exec(text);
  return match ? { tokenId: match[1]!, secret: match[2]! } : null;
}
