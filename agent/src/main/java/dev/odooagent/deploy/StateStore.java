package dev.odooagent.deploy;

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

/** The agent's durable facts: current and previous image, the pin, and the tag each digest was deployed as. */
public final class StateStore {
  private final Path file;
  private JsonObject state;

  /** Loads {@code state.json} from the state dir, or starts empty. */
  public StateStore(Path stateDir) {
    this.file = stateDir.resolve("state.json");
    try {
      Files.createDirectories(stateDir);
      state = Files.exists(file) ? new JsonObject(Files.readString(file, StandardCharsets.UTF_8)) : new JsonObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read " + file + " (" + e.getMessage() + "); move it aside to start fresh", e);
    }
  }

  /** The running image {@code {tag,digest,since}}, or null. */
  public synchronized JsonObject current() {
    return state.getJsonObject("current");
  }

  /** The previous good image {@code {tag,digest}}, or null. */
  public synchronized JsonObject previous() {
    return state.getJsonObject("previous");
  }

  /** The pin {@code {tag,digest}}, or null. */
  public synchronized JsonObject pinned() {
    return state.getJsonObject("pinned");
  }

  /** The tag a digest was last deployed or pinned as, or null. */
  public synchronized String tagOf(String digest) {
    return state.getJsonObject("tags", new JsonObject()).getString(digest);
  }

  /** Records a committed deploy: the old current becomes previous. */
  public synchronized void committed(JsonObject to, JsonObject from, String since) {
    if (from != null && from.getString("digest") != null && !from.getString("digest").equals(to.getString("digest"))) {
      state.put("previous", new JsonObject().put("tag", from.getString("tag")).put("digest", from.getString("digest")));
    }
    state.put("current", to.copy().put("since", since));
    remember(to.getString("digest"), to.getString("tag"));
    save();
  }

  /** Records what runs now without changing previous (first sight, or after a rollback). */
  public synchronized void running(JsonObject image, String since) {
    state.put("current", image.copy().put("since", since));
    remember(image.getString("digest"), image.getString("tag"));
    save();
  }

  /** Records a digest that failed after the old container was stopped, so triggers do not deploy it again. */
  public synchronized void rejected(String digest, String deployId) {
    JsonObject r = state.getJsonObject("rejected", new JsonObject());
    r.put(digest, deployId);
    while (r.size() > 50) {
      r.remove(r.fieldNames().iterator().next());
    }
    state.put("rejected", r);
    save();
  }

  /** The deploy whose rollback rejected {@code digest}, or null. */
  public synchronized String rejectedBy(String digest) {
    return digest == null ? null : state.getJsonObject("rejected", new JsonObject()).getString(digest);
  }

  /** Sets or clears the pin. */
  public synchronized void pin(JsonObject pin) {
    if (pin == null) {
      state.remove("pinned");
    } else {
      state.put("pinned", pin.copy());
      remember(pin.getString("digest"), pin.getString("tag"));
    }
    save();
  }

  private void remember(String digest, String tag) {
    if (digest != null && tag != null) {
      JsonObject tags = state.getJsonObject("tags", new JsonObject());
      tags.put(digest, tag);
      state.put("tags", tags);
    }
  }

  private void save() {
    Path tmp = file.resolveSibling("state.json.tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(state.encodePrettily().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
