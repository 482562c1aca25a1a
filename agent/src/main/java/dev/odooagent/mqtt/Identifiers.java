package dev.odooagent.mqtt;

import java.util.regex.Pattern;

/** The syntax of tags, digests and command ids accepted from MQTT. */
final class Identifiers {

  static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  static final Pattern COMMAND_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private Identifiers() {
  }

  static boolean validTag(String tag) {
    return TAG.matcher(tag).matches();
  }

  static boolean validDigest(String digest) {
    return DIGEST.matcher(digest).matches();
  }

  static boolean validCommandId(String id) {
    return COMMAND_ID.matcher(id).matches();
  }

  /** Quotes an untrusted value for an error message, shortened and with control characters escaped. */
  static String quote(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    StringBuilder out = new StringBuilder("'");
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('\'').toString();
  }
}
