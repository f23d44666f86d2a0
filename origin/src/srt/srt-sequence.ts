/**
 * SRT packet sequence numbers are 31 bits and wrap: every comparison goes through the signed
 * distance, which is right as long as two numbers compared are less than 2^30 apart (a receive
 * buffer is far smaller).
 */
export const SEQUENCE_MODULO = 0x8000_0000;
const HALF = 0x4000_0000;

/** How far `b` is ahead of `a` (negative: behind), across the wrap. */
export function sequenceDistance(a: number, b: number): number {
  let distance = (b - a) % SEQUENCE_MODULO;
  if (distance < -HALF) distance += SEQUENCE_MODULO;
  else if (distance >= HALF) distance -= SEQUENCE_MODULO;
  return distance;
}

/** `sequence` moved by `count` (may be negative), wrapped to 31 bits. */
export function sequenceAdd(sequence: number, count: number): number {
  return (((sequence + count) % SEQUENCE_MODULO) + SEQUENCE_MODULO) % SEQUENCE_MODULO;
}
