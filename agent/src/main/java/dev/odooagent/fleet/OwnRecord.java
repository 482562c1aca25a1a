package dev.odooagent.fleet;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * Derives this host's {@link FleetRecord} from its /status: the running digest and since when, its health, and when
 * that health last became {@code pass} on this digest. Answers a record only when one of those changed.
 */
public final class OwnRecord {

  private final String host;
  private final int wave;
  private FleetRecord last;

  /** The record keeper of {@code host} at {@code wave}. */
  public OwnRecord(String host, int wave) {
    this.host = host;
    this.wave = wave;
  }

  /** The record to publish for {@code status} at {@code now}, or null when it says nothing new. */
  public synchronized FleetRecord next(JsonObject status, Instant now) {
    JsonObject current = status.getJsonObject("current");
    String digest = current == null ? null : current.getString("digest");
    Instant since = null;
    try {
      since = current == null || current.getString("since") == null ? null : Instant.parse(current.getString("since"));
    } catch (RuntimeException unparsable) {
      // a record without since only sorts last when picking the group's newest digest
    }
    String health = status.getBoolean("deploy_in_progress", false) ? "deploying" : status.getString("health", "unknown");
    boolean stillPassing = last != null && "pass".equals(health) && "pass".equals(last.health())
        && Objects.equals(digest, last.digest());
    Instant healthySince = stillPassing ? last.healthySince() : "pass".equals(health) ? now : null;
    FleetRecord next = new FleetRecord(host, wave, digest, health, since, healthySince);
    if (next.equals(last)) {
      return null;
    }
    last = next;
    return next;
  }

  /** The last record answered (republished on every reconnect), or null. */
  public synchronized FleetRecord last() {
    return last;
  }
}
