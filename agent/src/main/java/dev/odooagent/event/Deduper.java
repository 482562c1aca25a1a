package dev.odooagent.event;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the most recently seen delivery ids, a bounded number of them, so that redeliveries are dropped. A
 * persistent one also keeps them in a file, one id a line, so that a delivery replayed after a restart is dropped too.
 */
public final class Deduper {
  private static final Logger LOG = LoggerFactory.getLogger(Deduper.class);

  /** How many ids a deduper keeps unless told otherwise. */
  public static final int DEFAULT_CAPACITY = 10_000;

  private final Map<String, Boolean> seen;
  private final Path file;

  /** Creates an in-memory deduper keeping {@link #DEFAULT_CAPACITY} ids. */
  public Deduper() {
    this(DEFAULT_CAPACITY);
  }

  /** Creates an in-memory deduper keeping at most {@code capacity} ids, forgetting the least recently seen first. */
  public Deduper(int capacity) {
    this(capacity, null);
  }

  private Deduper(int capacity, Path file) {
    if (capacity < 1) {
      throw new IllegalArgumentException("deduper capacity must be at least 1, got " + capacity);
    }
    this.file = file;
    this.seen = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  /** A deduper that keeps its ids in {@code file} across restarts (created if missing, compacted when it grew). */
  public static Deduper persistent(Path file, int capacity) {
    Deduper d = new Deduper(capacity, file);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (Files.exists(file)) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        lines.stream().filter(l -> !l.isBlank()).forEach(id -> d.seen.put(id.strip(), Boolean.TRUE));
        if (lines.size() > 2 * capacity) {
          Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
          Files.write(tmp, d.seen.keySet(), StandardCharsets.UTF_8);
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the delivery ids in " + file + " (check state_dir)", e);
    }
    return d;
  }

  /** Records the id and says whether this is the first time it is seen. */
  public synchronized boolean firstTime(String id) {
    Objects.requireNonNull(id, "id");
    boolean first = seen.put(id, Boolean.TRUE) == null;
    if (first && file != null) {
      try {
        // ids are validated tokens (no line breaks); a lost append only weakens this first line of defence
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        LOG.warn("cannot record delivery id in {}: {} (a replay after a restart is still refused by the forward-only rule)",
            file, e.getMessage());
      }
    }
    return first;
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
