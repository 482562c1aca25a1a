package dev.odooagent.event;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Remembers the most recently seen delivery ids, a bounded number of them, so that redeliveries are dropped. */
public final class Deduper {

  /** How many ids a deduper keeps unless told otherwise. */
  public static final int DEFAULT_CAPACITY = 10_000;

  private final Map<String, Boolean> seen;

  /** Creates a deduper keeping {@link #DEFAULT_CAPACITY} ids. */
  public Deduper() {
    this(DEFAULT_CAPACITY);
  }

  /** Creates a deduper keeping at most {@code capacity} ids, forgetting the least recently seen first. */
  public Deduper(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("deduper capacity must be at least 1, got " + capacity);
    }
    this.seen = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  /** Records the id and says whether this is the first time it is seen. */
  public synchronized boolean firstTime(String id) {
    Objects.requireNonNull(id, "id");
    return seen.put(id, Boolean.TRUE) == null;
  }

  /** Forgets an id, so that a delivery that could not be handled is taken again when it is resent. */
  public synchronized void forget(String id) {
    seen.remove(id);
  }

  /** How many ids are remembered now. */
  public synchronized int size() {
    return seen.size();
  }
}
