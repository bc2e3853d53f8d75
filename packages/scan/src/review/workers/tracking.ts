/**
 * What one module's analysis read from the rest of the review. The engine receives every summary and the whole file
 * set; these wrappers record which entries it actually looked at, so the orchestrator knows exactly which summaries a
 * module's result depends on — to re-analyse only the modules a changed summary reaches, and to key the cache on
 * "the summaries its imports had" without re-implementing the engine's import resolution.
 */
export interface ModuleDependencies {
  /** Files whose summary was looked up (present or not). */
  readonly summaryKeys: readonly string[];
  /** File names whose membership in the review was tested. */
  readonly fileKeys: readonly string[];
  /** The analysis enumerated every summary: it depends on all of them. */
  readonly allSummaries: boolean;
  /** The analysis enumerated the file set: it depends on all of it. */
  readonly allFiles: boolean;
}

/** A read-only map that records the keys read through it; enumerating it marks a dependency on every entry. */
export class TrackingMap<V> implements ReadonlyMap<string, V> {
  readonly keysRead = new Set<string>();
  enumerated = false;

  constructor(private readonly inner: ReadonlyMap<string, V>) {}

  get size(): number {
    this.enumerated = true;
    return this.inner.size;
  }

  get(key: string): V | undefined {
    this.keysRead.add(key);
    return this.inner.get(key);
  }

  has(key: string): boolean {
    this.keysRead.add(key);
    return this.inner.has(key);
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    this.enumerated = true;
    this.inner.forEach((value, key) => { callback.call(thisArg, value, key, this); });
  }

  entries(): MapIterator<[string, V]> {
    this.enumerated = true;
    return this.inner.entries();
  }

  keys(): MapIterator<string> {
    this.enumerated = true;
    return this.inner.keys();
  }

  values(): MapIterator<V> {
    this.enumerated = true;
    return this.inner.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}

/** A read-only set that records the members tested through it; enumerating it marks a dependency on all of it. */
export class TrackingSet implements ReadonlySet<string> {
  readonly keysRead = new Set<string>();
  enumerated = false;

  constructor(private readonly inner: ReadonlySet<string>) {}

  get size(): number {
    this.enumerated = true;
    return this.inner.size;
  }

  has(value: string): boolean {
    this.keysRead.add(value);
    return this.inner.has(value);
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    this.enumerated = true;
    this.inner.forEach((value) => { callback.call(thisArg, value, value, this); });
  }

  entries(): SetIterator<[string, string]> {
    this.enumerated = true;
    return this.inner.entries();
  }

  keys(): SetIterator<string> {
    this.enumerated = true;
    return this.inner.keys();
  }

  values(): SetIterator<string> {
    this.enumerated = true;
    return this.inner.values();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }
}

/** The dependencies recorded by a pair of tracking wrappers after one analysis. */
export function dependenciesOf(summaries: TrackingMap<unknown>, files: TrackingSet): ModuleDependencies {
  return {
    summaryKeys: [...summaries.keysRead].sort(),
    fileKeys: [...files.keysRead].sort(),
    allSummaries: summaries.enumerated,
    allFiles: files.enumerated,
  };
}
