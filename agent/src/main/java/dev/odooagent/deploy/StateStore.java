package dev.odooagent.deploy;

import dev.odooagent.policy.HostRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
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

/**
 * The agent's durable facts: current and previous image, the pin, the digests this host left or rejected, a FAILED
 * verdict that waits for an operator, the version pending approval or the maintenance window, the kept safety copy,
 * and the tag each digest was deployed as. Reads come from memory; every change is written (fsync, atomic rename) on
 * the agent's one state writer, off the event loop.
 */
public final class StateStore implements HostRecord {
  /** How many left and rejected digests are remembered. */
  static final int REMEMBERED = 200;
  private final Path file;
  private final WorkerExecutor writer;
  private JsonObject state;

  /** Loads {@code state.json} from the state dir, or starts empty; writes go to {@link #writer(Vertx)}. */
  public StateStore(Vertx vertx, Path stateDir) {
    this.file = stateDir.resolve("state.json");
    this.writer = writer(vertx);
    try {
      Files.createDirectories(stateDir);
      state = Files.exists(file) ? new JsonObject(Files.readString(file, StandardCharsets.UTF_8)) : new JsonObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read " + file + " (" + e.getMessage() + "); move it aside to start fresh", e);
    }
  }

  /** The one thread that writes the journal and the state, in submission order. */
  static WorkerExecutor writer(Vertx vertx) {
    return vertx.createSharedWorkerExecutor("odoo-agent-state", 1);
  }

  /** The running image {@code {tag,digest,since}}, or null. */
  public synchronized JsonObject current() {
    return copyOf(state.getJsonObject("current"));
  }

  /** The previous good image {@code {tag,digest}}, or null. */
  public synchronized JsonObject previous() {
    return copyOf(state.getJsonObject("previous"));
  }

  /** The pin {@code {tag,digest}}, or null. */
  public synchronized JsonObject pinned() {
    return copyOf(state.getJsonObject("pinned"));
  }

  /** The tag a digest was last deployed or pinned as, or null. */
  public synchronized String tagOf(String digest) {
    return digest == null ? null : state.getJsonObject("tags", new JsonObject()).getString(digest);
  }

  @Override
  public synchronized String pinnedDigest() {
    JsonObject pin = state.getJsonObject("pinned");
    return pin == null ? null : pin.getString("digest");
  }

  @Override
  public synchronized String failure() {
    JsonObject f = state.getJsonObject("failed");
    return f == null ? null : f.getString("reason");
  }

  @Override
  public synchronized String rejectedBy(String digest) {
    return digest == null ? null : state.getJsonObject("rejected", new JsonObject()).getString(digest);
  }

  @Override
  public synchronized String leftAt(String digest) {
    return digest == null ? null : state.getJsonObject("left", new JsonObject()).getString(digest);
  }

  /** The FAILED verdict waiting for an operator {@code {deploy_id,reason,at}}, or null. */
  public synchronized JsonObject failed() {
    return copyOf(state.getJsonObject("failed"));
  }

  /** The version an automatic trigger left waiting for approval or the window {@code {tag,digest,source,since}}, or null. */
  public synchronized JsonObject pending() {
    return copyOf(state.getJsonObject("pending"));
  }

  /** Records the pending version (the newest replaces an older one), or drops it with null. */
  public synchronized Future<Void> pending(JsonObject version) {
    return putOrRemove("pending", version);
  }

  /** The safety copy kept from the last committed deploy that upgraded modules, or null. */
  public synchronized JsonObject keptCopy() {
    return copyOf(state.getJsonObject("kept_copy"));
  }

  /** Records a committed deploy: the old current becomes previous and is remembered as left. */
  public synchronized Future<Void> committed(JsonObject to, JsonObject from, String since) {
    String digest = to.getString("digest");
    if (from != null && from.getString("digest") != null && !from.getString("digest").equals(digest)) {
      state.put("previous", new JsonObject().put("tag", from.getString("tag")).put("digest", from.getString("digest")));
      bounded("left").put(from.getString("digest"), since);
    }
    bounded("left").remove(digest);
    bounded("rejected").remove(digest);
    state.put("current", to.copy().put("since", since));
    remember(digest, to.getString("tag"));
    return save();
  }

  /** Records what runs now without changing previous (first sight, or after a rollback). */
  public synchronized Future<Void> running(JsonObject image, String since) {
    state.put("current", image.copy().put("since", since));
    bounded("left").remove(image.getString("digest"));
    remember(image.getString("digest"), image.getString("tag"));
    return save();
  }

  /** Records a digest this host rolled back from, so that automatic triggers never start it again. */
  public synchronized Future<Void> rejected(String digest, String why) {
    JsonObject r = bounded("rejected");
    r.remove(digest);
    r.put(digest, why);
    trim(r);
    return save();
  }

  /** Records a FAILED verdict, or clears it with null. */
  public synchronized Future<Void> failed(JsonObject verdict) {
    return putOrRemove("failed", verdict);
  }

  /** Records the safety copy kept for {@code rollback --restore-database}, or forgets it with null. */
  public synchronized Future<Void> keptCopy(JsonObject copy) {
    return putOrRemove("kept_copy", copy);
  }

  /** Sets or clears the pin. */
  public synchronized Future<Void> pin(JsonObject pin) {
    if (pin != null) {
      remember(pin.getString("digest"), pin.getString("tag"));
    }
    return putOrRemove("pinned", pin);
  }

  private Future<Void> putOrRemove(String key, JsonObject value) {
    if (value == null) {
      state.remove(key);
    } else {
      state.put(key, value.copy());
    }
    return save();
  }

  private JsonObject bounded(String key) {
    JsonObject o = state.getJsonObject(key);
    if (o == null) {
      o = new JsonObject();
      state.put(key, o);
    }
    trim(o);
    return o;
  }

  private static void trim(JsonObject o) {
    while (o.size() > REMEMBERED) {
      o.remove(o.fieldNames().iterator().next());
    }
  }

  private void remember(String digest, String tag) {
    if (digest != null && tag != null) {
      JsonObject tags = state.getJsonObject("tags", new JsonObject());
      tags.put(digest, tag);
      state.put("tags", tags);
    }
  }

  private static JsonObject copyOf(JsonObject o) {
    return o == null ? null : o.copy();
  }

  /** Writes a snapshot of the state as it is now; the writer's single thread keeps saves in order. */
  private Future<Void> save() {
    byte[] bytes = state.encodePrettily().getBytes(StandardCharsets.UTF_8);
    return writer.executeBlocking(() -> {
      Path tmp = file.resolveSibling("state.json.tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file + " (" + e.getMessage() + "; check the disk that holds state_dir)", e);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return null;
    }, true);
  }
}
