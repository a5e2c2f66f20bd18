/** One MX record, from a live lookup or from the host's MX service payload. */
export interface MxRecord {
  preference: number;
  /** Lower-case, no trailing dot; "" for the root (null MX). */
  exchange: string;
}
