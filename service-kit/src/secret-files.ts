import { readFileSync } from 'node:fs';
import { SettingError, type Env } from './env-settings.js';

/** The settings that are secrets: each may be given as a file, `<NAME>_FILE`. */
export const SECRET_SETTINGS = [
  'ADMIN_TOKEN',
  'ADMIN_TOKEN_PREVIOUS',
  'INTERNAL_TOKEN',
  'INTERNAL_TOKEN_PREVIOUS',
  'PLAYBACK_SIGNING_KEY',
  'PLAYBACK_SIGNING_KEY_PREVIOUS',
  'ORIGIN_SECRET',
  'ORIGIN_SECRET_PREVIOUS',
  'METRICS_TOKEN',
] as const;

/**
 * The environment with every `<NAME>_FILE` of a secret read into `<NAME>`, so that secrets can live
 * in owner-only files (docker-compose's secrets volume, written on first start; Docker or
 * Kubernetes secrets) rather than in the environment of every process listing. The file's content
 * without its trailing newline is the value; an empty file leaves the setting unset (a `_PREVIOUS`
 * outside a rotation). Giving both the value and the file is an error: which one wins would be a
 * guess. Errors name the file, never its content.
 */
export function withSecretFiles(env: Env): Env {
  const resolved: Env = { ...env };
  for (const name of SECRET_SETTINGS) {
    const fileSetting = `${name}_FILE`;
    const file = env[fileSetting]?.trim();
    if (file === undefined || file === '') continue;
    if ((env[name]?.trim() ?? '') !== '') throw new SettingError(fileSetting, file, `unset while ${name} is set (give one or the other)`);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (error) {
      throw new SettingError(fileSetting, file, `a file this user can read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    const value = content.replace(/\r?\n$/, '');
    if (value === '') delete resolved[name];
    else resolved[name] = value;
  }
  return resolved;
}
