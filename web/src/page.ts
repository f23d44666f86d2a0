import type { ApiClient } from './api-client.js';
import type { Me } from './api-types.js';

/** One screen of the dashboard: its element, and what stops its timers and players when it is left. */
export interface Page {
  element: HTMLElement;
  dispose(): void;
}

/** What every page is given: the signed-in client and who it acts for. */
export interface PageContext {
  api: ApiClient;
  me: Me;
  /** Goes to another page: `#/streams`, `#/streams/<id>`, `#/admin`. */
  navigate(hash: string): void;
}
