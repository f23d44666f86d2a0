/** What an admin types for a user's recording quota: gigabytes as the dashboard shows sizes (1 GB = 1024^3 bytes). */
const GIGABYTE = 1024 ** 3;

/**
 * "50" or "2.5" -> bytes; empty -> null (back to the API's RECORDING_QUOTA_BYTES); anything
 * else -> undefined, for the page to say so.
 */
export function parseQuotaGigabytes(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^[0-9]{1,7}(?:\.[0-9]{1,3})?$/.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * GIGABYTE);
}

/** The quota as the prompt offers it to be changed: "100" for 100 GB, "" when it is not limited. */
export function quotaGigabytesText(quotaBytes: number | null): string {
  return quotaBytes === null ? '' : String(Math.round((quotaBytes / GIGABYTE) * 1000) / 1000);
}
