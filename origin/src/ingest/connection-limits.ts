/**
 * How many connections the RTMP listener holds, in all and per client address. An IPv6 client
 * gets a whole /64 (one host can take any address in it), so IPv6 addresses count per /64.
 */
export interface ConnectionLimitSettings {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** Which limit refused a connection. */
export const CONNECTION_REFUSALS = ['RTMP_MAX_CONNECTIONS', 'RTMP_MAX_CONNECTIONS_PER_ADDRESS'] as const;
export type ConnectionRefusal = (typeof CONNECTION_REFUSALS)[number];

export class ConnectionLimits {
  private total = 0;
  private readonly perGroup = new Map<string, number>();

  constructor(private readonly settings: ConnectionLimitSettings) {}

  get open(): number {
    return this.total;
  }

  /** Counts a new connection from `address`, or names the limit it would break (nothing counted). */
  tryOpen(address: string): ConnectionRefusal | undefined {
    const group = addressGroup(address);
    const count = this.perGroup.get(group) ?? 0;
    if (this.total >= this.settings.maxConnections) return 'RTMP_MAX_CONNECTIONS';
    if (count >= this.settings.maxConnectionsPerAddress) return 'RTMP_MAX_CONNECTIONS_PER_ADDRESS';
    this.total += 1;
    this.perGroup.set(group, count + 1);
    return undefined;
  }

  /** A connection counted by `tryOpen` closed. */
  close(address: string): void {
    const group = addressGroup(address);
    const count = (this.perGroup.get(group) ?? 0) - 1;
    if (count > 0) this.perGroup.set(group, count);
    else this.perGroup.delete(group);
    this.total = Math.max(0, this.total - 1);
  }
}

/** IPv4 (also IPv4-mapped IPv6) as it is; other IPv6 as its /64 prefix, e.g. `2001:db8:0:1::/64`. */
export function addressGroup(address: string): string {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  if (!plain.includes(':')) return plain;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = plain.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address (a.b.c.d) takes the place of two groups.
  const groups = (parts: string[]) => parts.reduce((sum, part) => sum + (part.includes('.') ? 2 : 1), 0);
  const missing = tail === undefined ? 0 : 8 - groups(headParts) - groups(tailParts);
  const full = [...headParts, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailParts];
  const prefix = full.slice(0, 4).map((part) => (part.includes('.') ? part : Number.parseInt(part, 16).toString(16)));
  return `${prefix.join(':')}::/64`;
}
