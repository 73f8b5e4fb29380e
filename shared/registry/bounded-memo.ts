/**
 * A map that holds at most `capacity` entries, forgetting the oldest first.
 * For results that are expensive to compute and safe to reuse (a verified
 * token, a checked password), so a flood of distinct keys costs memory
 * bounded by `capacity`, never more.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
