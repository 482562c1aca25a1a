package dev.odooagent.fleet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The verdict for one wave, retained on {@code P/fleet/<group>/gate/<wave>}: whether its hosts may start
 * {@code digest}, which hosts of earlier waves it still waits for, and which canaries compute it ({@code watchers}),
 * so that a host can tell a gate nobody keeps current any more.
 */
public record Gate(int wave, String digest, boolean open, List<String> waitingFor, List<String> watchers, String by) {

  /** A gate; the lists are copied. */
  public Gate {
    waitingFor = List.copyOf(waitingFor);
    watchers = List.copyOf(watchers);
  }

  /** Whether {@code other} says the same as this gate, apart from who published it. */
  public boolean sameAs(Gate other) {
    return other != null && wave == other.wave && open == other.open && java.util.Objects.equals(digest, other.digest)
        && waitingFor.equals(other.waitingFor) && watchers.equals(other.watchers);
  }

  /** Whether only {@code waiting_for} differs from {@code other} (a shrinking list, published at most once a second). */
  public boolean onlyWaitingDiffers(Gate other) {
    return other != null && wave == other.wave && open == other.open && java.util.Objects.equals(digest, other.digest)
        && watchers.equals(other.watchers) && !waitingFor.equals(other.waitingFor);
  }

  /** The gate as published (without {@code ts} and {@code sig}). */
  public JsonObject toJson() {
    return new JsonObject().put("wave", wave).put("digest", digest).put("open", open)
        .put("waiting_for", new JsonArray(waitingFor)).put("watchers", new JsonArray(watchers)).put("by", by);
  }

  /** Reads a published gate; throws IllegalArgumentException when it is malformed. */
  public static Gate fromJson(JsonObject json) {
    try {
      Integer wave = json.getInteger("wave");
      Boolean open = json.getBoolean("open");
      if (wave == null || open == null) {
        throw new IllegalArgumentException("a gate needs wave and open");
      }
      return new Gate(wave, json.getString("digest"), open, strings(json.getJsonArray("waiting_for")),
          strings(json.getJsonArray("watchers")), json.getString("by"));
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("a gate has a field of the wrong type: " + e.getMessage());
    }
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(o -> (String) o).toList();
  }
}
