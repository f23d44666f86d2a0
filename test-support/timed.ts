/**
 * Runs `request` and returns its result with the unix ms times just before and after it: a time
 * the request recorded must lie between the two, however long the request took.
 */
export async function timed<T>(request: () => Promise<T>): Promise<{ result: T; before: number; after: number }> {
  const before = Date.now();
  const result = await request();
  return { result, before, after: Date.now() };
}
