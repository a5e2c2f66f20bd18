/**
 * Checks running at once per client address: a client's checks beyond the
 * bound are refused at once (429), before any DNS question or connection, so
 * one address cannot fill the connection gate with many slow checks.
 */
export class ClientChecks {
  private readonly running = new Map<string, number>();

  constructor(readonly perClient: number) {}

  /** Count a check for `client`; false (nothing counted) when it already runs `perClient`. */
  begin(client: string): boolean {
    const now = this.running.get(client) ?? 0;
    if (now >= this.perClient) return false;
    this.running.set(client, now + 1);
    return true;
  }

  end(client: string): void {
    const left = (this.running.get(client) ?? 1) - 1;
    if (left <= 0) this.running.delete(client);
    else this.running.set(client, left);
  }

  /** Checks `client` runs now. */
  of(client: string): number {
    return this.running.get(client) ?? 0;
  }
}
