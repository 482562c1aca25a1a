package dev.odooagent.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A secret read from a file: its value never appears in toString, logs or printed config. */
public final class Secret {
  private final Path source;
  private final String value;

  Secret(Path source, String value) {
    this.source = source;
    this.value = value;
  }

  /** The secret's value; callers must never log it. */
  public String reveal() {
    return value;
  }

  /** The secret as UTF-8 bytes, for HMAC keys. */
  public byte[] bytes() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** The file it was read from, or null. */
  public Path source() {
    return source;
  }

  @Override
  public String toString() {
    return "****";
  }
}
