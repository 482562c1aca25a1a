package dev.odooagent.notify;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;

/** One deploy's verdict as operators hear of it: versions, outcome, reason and duration; no container id, env or secret. */
public record DeployVerdict(String host, String id, String outcome, Image from, Image to, String reason, Duration duration,
    String source, String finished) {

  /** A version by tag and digest; either may be null. */
  public record Image(String tag, String digest) {
    static Image of(JsonObject o) {
      return o == null ? null : new Image(o.getString("tag"), o.getString("digest"));
    }

    /** The tag, else the digest shortened to 12 hex digits, else "?". */
    public String label() {
      if (tag != null && !tag.isEmpty()) {
        return tag;
      }
      return digest == null ? "?" : digest.substring(0, Math.min(digest.length(), "sha256:".length() + 12));
    }

    JsonObject toJson() {
      return new JsonObject().put("tag", tag).put("digest", digest);
    }
  }

  /** A verdict from a deploy summary as /history shows it ({@code id, outcome, from, to, started, finished, reason, source}). */
  public static DeployVerdict of(String host, JsonObject summary) {
    return new DeployVerdict(host, summary.getString("id"), summary.getString("outcome"), Image.of(summary.getJsonObject("from")),
        Image.of(summary.getJsonObject("to")), summary.getString("reason"),
        between(summary.getString("started"), summary.getString("finished")), summary.getString("source"),
        summary.getString("finished"));
  }

  private static Duration between(String started, String finished) {
    try {
      return Duration.between(Instant.parse(started), Instant.parse(finished));
    } catch (RuntimeException missingOrUnparsable) {
      return null;
    }
  }

  /** The structured fields, as the notification body and the deploy event stream carry them. */
  public JsonObject toJson() {
    return new JsonObject().put("deploy_id", id).put("host", host).put("outcome", outcome)
        .put("from", from == null ? null : from.toJson()).put("to", to == null ? null : to.toJson())
        .put("reason", reason).put("duration_seconds", duration == null ? null : duration.toMillis() / 1000.0)
        .put("source", source).put("finished", finished);
  }
}
