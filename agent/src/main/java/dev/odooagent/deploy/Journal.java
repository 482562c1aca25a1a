package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The deploy journal: one JSON line per step entry, each carrying the deploy's whole record so far, fsynced
 * before the step runs. A deploy is terminal once it has a {@code verdict} line.
 */
public final class Journal {
  private final WorkerExecutor writer;
  private final Path file;
  /** Above this size the journal is rewritten at start with only the newest finished deploys. */
  static final long COMPACT_ABOVE_BYTES = 8L * 1024 * 1024;
  /** How many finished deploys a compaction keeps. */
  static final int KEEP_VERDICTS = 1000;
  private final List<JsonObject> verdicts = new ArrayList<>();
  private final List<JsonObject> verdictEntries = new ArrayList<>();
  private JsonObject last;

  /** Opens (creating if needed) the journal in {@code stateDir} and reads it. */
  public Journal(Vertx vertx, Path stateDir) {
    this(vertx, stateDir, COMPACT_ABOVE_BYTES);
  }

  /** As above, compacting when the file is larger than {@code compactAboveBytes}. */
  Journal(Vertx vertx, Path stateDir, long compactAboveBytes) {
    this.writer = StateStore.writer(vertx);
    this.file = stateDir.resolve("journal.jsonl");
    try {
      Files.createDirectories(stateDir);
      if (Files.exists(file)) {
        // decoded leniently: a torn line may end inside a multi-byte character
        for (String line : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          try {
            remember(new JsonObject(line));
          } catch (RuntimeException torn) {
            // a line torn by a crash mid-write: the entry before it is the truth
          }
        }
        sealTornLine();
        if (Files.size(file) > compactAboveBytes) {
          compact();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the journal " + file + " (check state_dir and its permissions)", e);
    }
  }

  /** Ends a torn last line, so that the next entry starts on a line of its own instead of being glued to it. */
  private void sealTornLine() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      if (ch.size() > 0 && ch.read(last, ch.size() - 1) == 1 && last.get(0) != '\n') {
        ch.write(ByteBuffer.wrap(new byte[] {'\n'}), ch.size());
        ch.force(true);
      }
    }
  }

  private void remember(JsonObject entry) {
    last = entry;
    if ("verdict".equals(entry.getString("step"))) {
      verdicts.add(entry.getJsonObject("record"));
      verdictEntries.add(entry);
    }
  }

  /** Rewrites the journal with the newest finished deploys and the unfinished one's last entry, atomically. */
  private void compact() throws IOException {
    List<JsonObject> keep = new ArrayList<>(verdictEntries.subList(Math.max(0, verdictEntries.size() - KEEP_VERDICTS), verdictEntries.size()));
    if (unfinished() != null) {
      keep.add(last);
    }
    Path tmp = file.resolveSibling("journal.jsonl.tmp");
    StringBuilder sb = new StringBuilder();
    keep.forEach(e -> sb.append(e.encode()).append('\n'));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    verdicts.clear();
    verdictEntries.clear();
    JsonObject lastEntry = last;
    keep.forEach(this::remember);
    last = lastEntry;
  }

  /** Appends {@code step}/{@code state} with the record, durably, before the caller goes on. */
  public Future<Void> append(String step, String state, JsonObject record) {
    JsonObject entry = new JsonObject().put("at", Instant.now().toString()).put("deploy_id", record.getString("id"))
        .put("step", step).put("state", state).put("record", record.copy());
    byte[] line = (entry.encode() + "\n").getBytes(StandardCharsets.UTF_8);
    return writer.executeBlocking(() -> {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
        ch.write(ByteBuffer.wrap(line));
        ch.force(true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the journal " + file + " (" + e.getMessage()
            + "); check the disk that holds state_dir", e);
      }
      return null;
    }, true).<Void>map(x -> {
      remember(entry);
      return null;
    }).onFailure(e -> {
      if ("verdict".equals(step)) {
        // not on disk, but /status and /history still tell what happened (a restart resumes the deploy instead)
        remember(entry);
      }
    });
  }

  /** The record of the last deploy if it has no verdict (the agent stopped mid-deploy), else null. */
  public JsonObject unfinished() {
    if (last == null || "verdict".equals(last.getString("step"))) {
      return null;
    }
    return last.getJsonObject("record").copy().put("interrupted_step", last.getString("step"))
        .put("interrupted_state", last.getString("state"));
  }

  /** The newest {@code limit} finished deploys, newest first. */
  public JsonArray history(int limit) {
    JsonArray out = new JsonArray();
    for (int i = verdicts.size() - 1; i >= 0 && out.size() < limit; i--) {
      out.add(summary(verdicts.get(i)));
    }
    return out;
  }

  /** The last finished deploy, or null. */
  public JsonObject lastVerdict() {
    return verdicts.isEmpty() ? null : summary(verdicts.get(verdicts.size() - 1));
  }

  /** The public shape of a deploy record, as /status and /history show it. */
  static JsonObject summary(JsonObject r) {
    return new JsonObject().put("id", r.getString("id")).put("outcome", r.getString("outcome"))
        .put("from", r.getJsonObject("from")).put("to", r.getJsonObject("to"))
        .put("started", r.getString("started")).put("finished", r.getString("finished"))
        .put("reason", r.getString("reason")).put("source", r.getString("source"))
        .put("modules", r.getJsonArray("modules")).put("strategy", r.getString("strategy"));
  }
}
