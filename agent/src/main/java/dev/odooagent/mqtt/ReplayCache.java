package dev.odooagent.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command ids seen recently, kept in memory and in an append-only file of {@code id epoch-seconds} lines
 * (fsynced per id) so that a replayed or redelivered command is refused across restarts. Entries older than the
 * retention are dropped when the file is loaded and when it is compacted. Calls block on file I/O.
 */
public final class ReplayCache implements AutoCloseable {

  private static final int COMPACT_EVERY = 1000;

  private final Path file;
  private final Duration retention;
  private final Clock clock;
  private final Map<String, Long> seen = new LinkedHashMap<>();
  private FileChannel channel;
  private int appendedSinceCompaction;

  private ReplayCache(Path file, Duration retention, Clock clock) {
    this.file = file;
    this.retention = retention;
    this.clock = clock;
  }

  /** Loads the cache from the file (created if missing, with its directory) and drops expired entries. */
  public static ReplayCache open(Path file, Duration retention, Clock clock) throws IOException {
    ReplayCache cache = new ReplayCache(file, retention, clock);
    cache.load();
    return cache;
  }

  private void load() throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    int lines = 0;
    boolean unterminated = false;
    if (Files.exists(file)) {
      String text = Files.readString(file, StandardCharsets.ISO_8859_1);
      unterminated = !text.isEmpty() && !text.endsWith("\n");
      List<String> all = text.lines().toList();
      long oldest = oldestKept();
      for (String line : all) {
        lines++;
        int space = line.lastIndexOf(' ');
        if (space <= 0) {
          continue;
        }
        String id = line.substring(0, space);
        long at;
        try {
          at = Long.parseLong(line.substring(space + 1));
        } catch (NumberFormatException e) {
          continue;
        }
        if (at >= oldest && Identifiers.validCommandId(id)) {
          seen.put(id, at);
        }
      }
    }
    if (unterminated || lines != seen.size()) {
      rewrite();
    }
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** The file this cache persists to. */
  public Path file() {
    return file;
  }

  /** Whether the id was recorded within the retention. */
  public synchronized boolean contains(String id) {
    Long at = seen.get(id);
    return at != null && at >= oldestKept();
  }

  /** Records the id durably; returns false, writing nothing, when it was already recorded within the retention. */
  public synchronized boolean add(String id) throws IOException {
    if (!Identifiers.validCommandId(id)) {
      throw new IllegalArgumentException("command id " + Identifiers.quote(id) + " cannot be recorded");
    }
    if (contains(id)) {
      return false;
    }
    long now = clock.instant().getEpochSecond();
    ByteBuffer line = ByteBuffer.wrap((id + " " + now + "\n").getBytes(StandardCharsets.US_ASCII));
    while (line.hasRemaining()) {
      channel.write(line);
    }
    channel.force(false);
    seen.remove(id);
    seen.put(id, now);
    if (++appendedSinceCompaction >= COMPACT_EVERY) {
      compact();
    }
    return true;
  }

  /** The number of ids held, expired ones not yet compacted included. */
  public synchronized int size() {
    return seen.size();
  }

  /** Drops expired ids from memory and rewrites the file with the rest. */
  public synchronized void compact() throws IOException {
    long oldest = oldestKept();
    seen.values().removeIf(at -> at < oldest);
    channel.close();
    rewrite();
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    appendedSinceCompaction = 0;
  }

  private void rewrite() throws IOException {
    StringBuilder text = new StringBuilder();
    seen.forEach((id, at) -> text.append(id).append(' ').append(at).append('\n'));
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      out.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory();
  }

  private void syncDirectory() {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // some file systems cannot fsync a directory; the rename is still atomic there
    }
  }

  private long oldestKept() {
    return clock.instant().minus(retention).getEpochSecond();
  }

  /** Closes the file. */
  @Override
  public synchronized void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
