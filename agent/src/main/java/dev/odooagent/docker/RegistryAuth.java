package dev.odooagent.docker;

/** Credentials for a pull; {@code username} null means anonymous. The password is never logged. */
public record RegistryAuth(String serverAddress, String username, String password) {
  /** Anonymous access. */
  public static RegistryAuth anonymous() {
    return new RegistryAuth(null, null, null);
  }

  @Override
  public String toString() {
    return "RegistryAuth[" + serverAddress + ", " + (username == null ? "anonymous" : username) + "]";
  }
}
