package dev.odooagent.event;

import dev.odooagent.registry.References;
import java.util.Locale;
import java.util.regex.Pattern;

/** Checks every tag, digest, delivery id and image that comes from outside before the agent acts on it. */
public final class Validation {

  /** The only tags accepted, matched against the whole tag. */
  public static final String TAG_PATTERN = References.TAG.pattern();
  /** The only digests accepted, matched against the whole digest. */
  public static final String DIGEST_PATTERN = References.DIGEST.pattern();
  /** The delivery and event ids accepted as dedupe keys. */
  public static final String DELIVERY_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}";

  private static final Pattern DELIVERY_ID = Pattern.compile(DELIVERY_ID_PATTERN);
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern HOST = Pattern.compile("[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?");
  private static final int QUOTE_LIMIT = 80;

  private Validation() {
  }

  /** Whether the value is a valid image tag. */
  public static boolean isTag(String tag) {
    return References.isTag(tag);
  }

  /** Whether the value is a valid {@code sha256:} digest. */
  public static boolean isDigest(String digest) {
    return References.isDigest(digest);
  }

  /** Whether the value is usable as a delivery id. */
  public static boolean isDeliveryId(String id) {
    return id != null && DELIVERY_ID.matcher(id).matches();
  }

  /** Returns the tag, or throws naming it when it is not a valid image tag. */
  public static String requireTag(String tag) {
    if (!isTag(tag)) {
      throw new InvalidEventException("tag " + quote(tag) + " is not a valid image tag (allowed: " + TAG_PATTERN + ")");
    }
    return tag;
  }

  /** Returns the digest, or throws naming it when it is not a valid sha256 digest. */
  public static String requireDigest(String digest) {
    if (!isDigest(digest)) {
      throw new InvalidEventException("digest " + quote(digest)
          + " is not a valid digest (expected sha256: and 64 lowercase hex characters)");
    }
    return digest;
  }

  /** Returns the id, or throws naming it and where it came from when it is not a usable delivery id. */
  public static String requireDeliveryId(String what, String id) {
    if (id == null || id.isEmpty()) {
      throw new InvalidEventException(what + " is missing (it is the delivery id used to drop redeliveries)");
    }
    if (!isDeliveryId(id)) {
      throw new InvalidEventException(what + " " + quote(id) + " is not a valid delivery id (allowed: "
          + DELIVERY_ID_PATTERN + ")");
    }
    return id;
  }

  /** Whether two image references name the same repository: host and path compared case-insensitively, tags ignored. */
  public static boolean sameImage(String image, String other) {
    String a = normalizeImage(image);
    return a != null && a.equals(normalizeImage(other));
  }

  /** Returns the image, or throws naming it when it is not the configured {@code service.image}. */
  public static String requireImage(String image, String serviceImage) {
    if (!sameImage(image, serviceImage)) {
      throw new InvalidEventException("image " + quote(image) + " is not service.image " + quote(serviceImage)
          + " (this agent deploys only service.image)");
    }
    return image;
  }

  /** The {@code host/path} of an image in lowercase without tag or digest, or null when it is not a valid reference. */
  public static String normalizeImage(String image) {
    if (image == null || image.isEmpty()) {
      return null;
    }
    String rest = image;
    int at = rest.indexOf('@');
    if (at >= 0) {
      if (!isDigest(rest.substring(at + 1))) {
        return null;
      }
      rest = rest.substring(0, at);
    }
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      if (!isTag(rest.substring(colon + 1))) {
        return null;
      }
      rest = rest.substring(0, colon);
    }
    rest = rest.toLowerCase(Locale.ROOT);
    String host;
    String path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? rest : rest.substring(0, slash);
    if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
      host = first;
      path = rest.substring(slash + 1);
    } else {
      host = "docker.io";
      path = slash < 0 ? "library/" + rest : rest;
    }
    if (!HOST.matcher(host).matches() || !isRepositoryPath(path)) {
      return null;
    }
    return host + "/" + path;
  }

  /** The repository path of an image (the part after the host, without tag), or null when it is not a valid reference. */
  public static String repositoryPath(String image) {
    String normalized = normalizeImage(image);
    return normalized == null ? null : normalized.substring(normalized.indexOf('/') + 1);
  }

  /** The registry host of an image ({@code docker.io} when it names none), or null when it is not a valid reference. */
  public static String registryHost(String image) {
    String normalized = normalizeImage(image);
    return normalized == null ? null : normalized.substring(0, normalized.indexOf('/'));
  }

  /** Whether the value is a repository path such as {@code owner/name}, compared without regard to case. */
  public static boolean isRepositoryPath(String path) {
    if (path == null || path.isEmpty() || path.length() > 255) {
      return false;
    }
    for (String component : path.toLowerCase(Locale.ROOT).split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        return false;
      }
    }
    return true;
  }

  /** Quotes a value from outside for a message: escapes quotes, control and non-ASCII characters, and shortens it. */
  public static String quote(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), QUOTE_LIMIT) + 8).append('"');
    int shown = 0;
    for (int i = 0; i < value.length(); i++) {
      if (shown == QUOTE_LIMIT) {
        out.append("...(").append(value.length()).append(" chars)");
        break;
      }
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c >= 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
      shown++;
    }
    return out.append('"').toString();
  }
}
