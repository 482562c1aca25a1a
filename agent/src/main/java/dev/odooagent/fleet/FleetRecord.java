package dev.odooagent.fleet;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What one host of a group tells the others, retained on {@code P/fleet/<group>/<wave>/<host>}: the digest it runs,
 * since when, its health and since when that health has passed on this digest. Published only when one changes.
 */
public record FleetRecord(String host, int wave, String digest, String health, Instant since, Instant healthySince) {

  /** Whether the host has run {@code digest} with health {@code pass} for at least {@code soak} at {@code now}. */
  public boolean soaked(String digest, java.time.Duration soak, Instant now) {
    return digest != null && digest.equals(this.digest) && "pass".equals(health) && healthySince != null
        && !healthySince.plus(soak).isAfter(now);
  }

  /** The record as published (without {@code ts} and {@code sig}, which the adapter adds). */
  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("wave", wave).put("digest", digest).put("health", health)
        .put("since", since == null ? null : since.toString())
        .put("healthy_since", healthySince == null ? null : healthySince.toString());
  }

  /** Reads a published record; throws IllegalArgumentException naming the bad field. */
  public static FleetRecord fromJson(JsonObject json) {
    try {
      String host = json.getString("host");
      Integer wave = json.getInteger("wave");
      if (host == null || host.isEmpty() || wave == null || wave < 0) {
        throw new IllegalArgumentException("a fleet record needs host and a wave of 0 or more");
      }
      return new FleetRecord(host, wave, json.getString("digest"), json.getString("health"),
          instant(json.getString("since")), instant(json.getString("healthy_since")));
    } catch (ClassCastException | java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("a fleet record has a field of the wrong type: " + e.getMessage());
    }
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }
}
