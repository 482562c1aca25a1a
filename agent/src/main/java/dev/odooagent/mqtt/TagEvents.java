package dev.odooagent.mqtt;

import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;

/** Reads {@code P/tags} payloads {@code {"image","tag","digest"?}} into triggers for the configured image. */
final class TagEvents {

  static final int MAX_PAYLOAD_BYTES = 64 * 1024;

  /** What a tag event amounts to: a trigger, or the reason it was ignored or rejected. */
  record Outcome(Trigger trigger, String ignoredReason, String rejectedReason) {
    static Outcome accept(Trigger trigger) {
      return new Outcome(trigger, null, null);
    }

    static Outcome ignore(String reason) {
      return new Outcome(null, reason, null);
    }

    static Outcome reject(String reason) {
      return new Outcome(null, null, reason);
    }
  }

  private final String serviceImage;

  TagEvents(String serviceImage) {
    this.serviceImage = serviceImage;
  }

  /** Reads one payload received at the given instant. */
  Outcome read(byte[] payload, Instant receivedAt) {
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return Outcome.reject("tag event rejected: payload is " + payload.length + " bytes, more than "
          + MAX_PAYLOAD_BYTES);
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(Buffer.buffer(payload));
    } catch (DecodeException | IllegalStateException e) {
      return Outcome.reject("tag event rejected: payload is not valid JSON (send {\"image\":…,\"tag\":…})");
    }
    if (!(parsed instanceof JsonObject json)) {
      return Outcome.reject("tag event rejected: payload is not a JSON object (send {\"image\":…,\"tag\":…})");
    }
    if (!(json.getValue("image") instanceof String image)) {
      return Outcome.reject("tag event rejected: \"image\" is missing or not a string");
    }
    if (!(json.getValue("tag") instanceof String tag)) {
      return Outcome.reject("tag event rejected: \"tag\" is missing or not a string");
    }
    Object rawDigest = json.getValue("digest");
    if (rawDigest != null && !(rawDigest instanceof String)) {
      return Outcome.reject("tag event rejected: \"digest\" is not a string");
    }
    String digest = (String) rawDigest;
    if (!Identifiers.validTag(tag)) {
      return Outcome.reject("tag event rejected: tag " + Identifiers.quote(tag) + " does not match "
          + Identifiers.TAG.pattern());
    }
    if (digest != null && !Identifiers.validDigest(digest)) {
      return Outcome.reject("tag event rejected: digest " + Identifiers.quote(digest)
          + " is not sha256: followed by 64 lower-case hex digits");
    }
    if (!image.toLowerCase(Locale.ROOT).equals(serviceImage.toLowerCase(Locale.ROOT))) {
      return Outcome.ignore("tag event ignored: image " + Identifiers.quote(image) + " is not service.image "
          + Identifiers.quote(serviceImage));
    }
    return Outcome.accept(new Trigger(Source.MQTT, tag, digest, null, receivedAt));
  }
}
