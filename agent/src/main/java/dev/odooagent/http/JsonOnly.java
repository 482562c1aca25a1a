package dev.odooagent.http;

import java.util.Locale;

/** The content rule of both listeners: a request body is JSON or absent; anything else is refused before it is read. */
public final class JsonOnly {
  private JsonOnly() {}

  /** Whether a Content-Type is acceptable: none, application/json, or a JSON suffix type (registry envelopes). */
  public static boolean accepts(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return true;
    }
    String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || type.matches("application/[a-z0-9.!#$&^_+-]+\\+json");
  }

  /** The 415 reason for a Content-Type that {@link #accepts} refuses, naming it and the fix. */
  public static String refusal(String contentType) {
    String shown = contentType.length() > 80 ? contentType.substring(0, 80) + "…" : contentType;
    return "Content-Type " + shown.replaceAll("\\p{Cntrl}", "?") + " is not accepted: send a JSON body with"
        + " Content-Type: application/json";
  }
}
