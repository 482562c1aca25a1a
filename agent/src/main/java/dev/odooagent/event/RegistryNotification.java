package dev.odooagent.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** Reads Docker Distribution notification envelopes and picks out tag pushes of the configured repository. */
public final class RegistryNotification {

  /** The media type of a notification envelope. */
  public static final String ENVELOPE_MEDIA_TYPE = "application/vnd.docker.distribution.events.v2+json";
  /** The target media types that mean a manifest or an index was pushed (anything else is a blob or unknown). */
  public static final Set<String> MANIFEST_MEDIA_TYPES = Set.of(
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json");

  /**
   * One event of an envelope.
   *
   * @param id the event id, the dedupe key
   * @param outcome a candidate version or the reason it is ignored
   */
  public record Event(String id, EventOutcome outcome) {

    /** Requires both parts. */
    public Event {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(outcome, "outcome");
    }
  }

  private final String serviceImage;
  private final String repository;

  /** Creates a reader that accepts pushes only to the repository of {@code serviceImage} (its path after the host). */
  public RegistryNotification(String serviceImage) {
    this.repository = Validation.repositoryPath(Objects.requireNonNull(serviceImage, "serviceImage"));
    if (repository == null) {
      throw new IllegalArgumentException("service.image " + Validation.quote(serviceImage)
          + " is not a valid image reference (expected e.g. 127.0.0.1:5000/owner/name)");
    }
    this.serviceImage = serviceImage;
  }

  /** Reads an envelope's raw body into its events; throws when the body or any event is malformed. */
  public List<Event> parse(byte[] body) {
    return classify(WebhookJson.parseObject(body));
  }

  /** Reads an already parsed envelope into its events; throws when any event is malformed. */
  public List<Event> classify(JsonNode envelope) {
    JsonNode events = WebhookJson.array(envelope, "events", "events");
    List<Event> out = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      out.add(event(events.get(i), "events[" + i + "]"));
    }
    return out;
  }

  private Event event(JsonNode event, String path) {
    if (!event.isObject()) {
      throw new InvalidEventException("field " + path + " must be an object");
    }
    String id = Validation.requireDeliveryId("field " + path + ".id", WebhookJson.text(event, "id", path + ".id"));
    String action = WebhookJson.text(event, "action", path + ".action");
    JsonNode target = WebhookJson.object(event, "target", path + ".target");
    String mediaType = WebhookJson.optText(target, "mediaType", path + ".target.mediaType");
    String repo = WebhookJson.optText(target, "repository", path + ".target.repository");
    String tag = WebhookJson.optText(target, "tag", path + ".target.tag");
    String digest = WebhookJson.optText(target, "digest", path + ".target.digest");
    if (!action.equals("push")) {
      return new Event(id, new EventOutcome.Ignored("action " + Validation.quote(action) + " is not push"));
    }
    if (mediaType == null || !MANIFEST_MEDIA_TYPES.contains(baseType(mediaType))) {
      return new Event(id, new EventOutcome.Ignored("media type " + Validation.quote(mediaType)
          + " is not a manifest or an index (blob pushes are ignored)"));
    }
    if (repo == null) {
      throw new InvalidEventException("field " + path + ".target.repository is missing (expected a string)");
    }
    if (!repo.equalsIgnoreCase(repository)) {
      return new Event(id, new EventOutcome.Ignored("repository " + Validation.quote(repo)
          + " is not the repository of service.image " + Validation.quote(serviceImage)));
    }
    if (tag == null || tag.isEmpty()) {
      return new Event(id, new EventOutcome.Ignored("push by digest without a tag"));
    }
    return new Event(id, new EventOutcome.Candidate(Validation.requireTag(tag),
        digest == null || digest.isEmpty() ? null : Validation.requireDigest(digest)));
  }

  private static String baseType(String mediaType) {
    int semicolon = mediaType.indexOf(';');
    return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }
}
