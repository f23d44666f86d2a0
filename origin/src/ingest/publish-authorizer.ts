export interface PublishRequest {
  app: string;
  /** What the publisher sent as stream name: a public name or a secret stream key. */
  name: string;
  addr: string;
}

export type PublishDecision =
  | { allowed: true; streamName: string }
  | { allowed: false; reason: string };

/** Decides whether a publish may go ahead, and under which public stream name. */
export interface PublishAuthorizer {
  authorize(request: PublishRequest): Promise<PublishDecision>;
}
