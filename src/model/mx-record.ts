/** One MX record, from a live lookup, the host's MX service payload, or hosts named with `--mx`. */
export interface MxRecord {
  preference: number;
  /** Lower-case, no trailing dot; "" for the root (null MX). An IP address only in a set given with `--mx`. */
  exchange: string;
  /** The port to probe on this host (`--mx HOST:PORT`); absent: the collection's port. */
  port?: number;
}
