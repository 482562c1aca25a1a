package dev.odooagent.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Verifies and reads GitHub {@code package} and {@code registry_package} webhook deliveries for GHCR images. */
public final class GithubWebhook {

  /** The header carrying {@code sha256=<hex HMAC of the raw body>}. */
  public static final String SIGNATURE_HEADER = "X-Hub-Signature-256";
  /** The header naming the event type. */
  public static final String EVENT_HEADER = "X-GitHub-Event";
  /** The header carrying the delivery GUID, used as the dedupe key. */
  public static final String DELIVERY_HEADER = "X-GitHub-Delivery";
  /** The registry that GitHub package events describe. */
  public static final String REGISTRY_HOST = "ghcr.io";

  private static final String SIGNATURE_PREFIX = "sha256=";
  private static final String HMAC = "HmacSHA256";
  private static final Set<String> PACKAGE_EVENTS = Set.of("package", "registry_package");
  private static final Set<String> ACTIONS = Set.of("published", "updated");
  private static final Pattern EVENT_NAME = Pattern.compile("[a-z_]{1,64}");

  private final String serviceImage;

  /** Creates a reader that accepts events only for {@code serviceImage}. */
  public GithubWebhook(String serviceImage) {
    if (Validation.normalizeImage(Objects.requireNonNull(serviceImage, "serviceImage")) == null) {
      throw new IllegalArgumentException("service.image " + Validation.quote(serviceImage)
          + " is not a valid image reference (expected e.g. ghcr.io/owner/name)");
    }
    this.serviceImage = serviceImage;
  }

  /** The {@code X-Hub-Signature-256} value GitHub sends for this body and secret. */
  public static String sign(byte[] secret, byte[] body) {
    return SIGNATURE_PREFIX + HexFormat.of().formatHex(hmac(secret, body));
  }

  /** Whether the header is {@code sha256=<hex>} and matches the HMAC of the raw body, compared in constant time. */
  public static boolean signatureMatches(byte[] secret, byte[] body, String header) {
    if (header == null || !header.startsWith(SIGNATURE_PREFIX)) {
      return false;
    }
    String hex = header.substring(SIGNATURE_PREFIX.length());
    if (hex.length() != 64) {
      return false;
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(hmac(secret, body == null ? new byte[0] : body), given);
  }

  /** Reads a delivery's raw body and says whether it names a version of the service image; throws when malformed. */
  public EventOutcome parse(String event, byte[] body) {
    requireEventName(event);
    return classify(event, WebhookJson.parseObject(body));
  }

  /** Says whether an already parsed payload names a version of the service image; throws when malformed. */
  public EventOutcome classify(String event, JsonNode payload) {
    requireEventName(event);
    if (event.equals("ping")) {
      return new EventOutcome.Ignored("ping event: the webhook is set up, nothing to deploy");
    }
    if (!PACKAGE_EVENTS.contains(event)) {
      return new EventOutcome.Ignored("event " + Validation.quote(event)
          + " is not a package event (subscribe the webhook to Packages events only)");
    }
    String action = WebhookJson.text(payload, "action", "action");
    JsonNode pkg = WebhookJson.object(payload, event, event);
    String type = WebhookJson.text(pkg, "package_type", event + ".package_type");
    if (!type.toLowerCase(Locale.ROOT).equals("container")) {
      return new EventOutcome.Ignored("package type " + Validation.quote(type) + " is not a container image");
    }
    if (!ACTIONS.contains(action)) {
      return new EventOutcome.Ignored("action " + Validation.quote(action) + " is neither published nor updated");
    }
    String owner = owner(pkg, event);
    String name = WebhookJson.text(pkg, "name", event + ".name");
    String path = owner + "/" + name;
    if (!isServiceImage(path)) {
      return new EventOutcome.Ignored("image " + Validation.quote(REGISTRY_HOST + "/" + path)
          + " is not service.image " + Validation.quote(serviceImage));
    }
    String versionPath = event + ".package_version";
    JsonNode version = WebhookJson.object(pkg, "package_version", versionPath);
    JsonNode metadata = WebhookJson.optObject(version, "container_metadata", versionPath + ".container_metadata");
    String tagPath = versionPath + ".container_metadata.tag";
    JsonNode tag = metadata == null ? null : WebhookJson.optObject(metadata, "tag", tagPath);
    if (tag == null) {
      return new EventOutcome.Ignored("package version carries no container tag");
    }
    String tagName = WebhookJson.optText(tag, "name", tagPath + ".name");
    String digest = WebhookJson.optText(tag, "digest", tagPath + ".digest");
    if (tagName == null || tagName.isEmpty()) {
      return new EventOutcome.Ignored("empty tag name: a per-manifest event of a multi-arch push");
    }
    return new EventOutcome.Candidate(Validation.requireTag(tagName),
        digest == null || digest.isEmpty() ? null : Validation.requireDigest(digest));
  }

  private boolean isServiceImage(String path) {
    return Validation.isRepositoryPath(path)
        && REGISTRY_HOST.equals(Validation.registryHost(serviceImage))
        && path.equalsIgnoreCase(Validation.repositoryPath(serviceImage));
  }

  private static String owner(JsonNode pkg, String event) {
    JsonNode ownerNode = WebhookJson.optObject(pkg, "owner", event + ".owner");
    String login = ownerNode == null ? null : WebhookJson.optText(ownerNode, "login", event + ".owner.login");
    if (login != null && !login.isEmpty()) {
      return login;
    }
    // GitHub's own examples sometimes carry the repository here, so the owner login is preferred above.
    String namespace = WebhookJson.optText(pkg, "namespace", event + ".namespace");
    if (namespace == null || namespace.isEmpty()) {
      throw new InvalidEventException("field " + event + ".owner.login is missing (expected the package owner)");
    }
    return namespace;
  }

  private static void requireEventName(String event) {
    if (event == null || event.isEmpty()) {
      throw new InvalidEventException(EVENT_HEADER + " header is missing (GitHub sends it with every delivery)");
    }
    if (!EVENT_NAME.matcher(event).matches()) {
      throw new InvalidEventException(EVENT_HEADER + " header " + Validation.quote(event)
          + " is not a GitHub event name");
    }
  }

  private static byte[] hmac(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(secret, HMAC));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }
}
