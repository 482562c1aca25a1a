package dev.odooagent.event;

import java.time.Instant;
import java.util.Objects;

/**
 * One request to consider deploying an image version, whatever its source.
 *
 * @param source where it came from
 * @param tag the image tag, or null when only a digest is known
 * @param digest the manifest digest ({@code sha256:…}), or null when not known yet
 * @param deliveryId the sender's id for this delivery, or null when the source has none
 * @param receivedAt when the agent received it
 */
public record Trigger(Source source, String tag, String digest, String deliveryId, Instant receivedAt) {

  /** Validates the trigger: a source and time, and a valid tag or digest or both. */
  public Trigger {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(receivedAt, "receivedAt");
    if (tag == null && digest == null) {
      throw new InvalidEventException("a " + source.label() + " trigger needs a tag or a digest, and has neither");
    }
    if (tag != null) {
      Validation.requireTag(tag);
    }
    if (digest != null) {
      Validation.requireDigest(digest);
    }
  }
}
