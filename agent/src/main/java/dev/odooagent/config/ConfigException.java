package dev.odooagent.config;

/** A configuration problem, with a message naming the key or path and how to fix it. */
public final class ConfigException extends RuntimeException {
  /** Creates the exception with its user-facing message. */
  public ConfigException(String message) {
    super(message);
  }
}
