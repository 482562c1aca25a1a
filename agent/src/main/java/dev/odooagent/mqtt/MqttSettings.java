package dev.odooagent.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * What the MQTT bridge needs from the agent's config: broker URL ({@code mqtt://host:port} or {@code mqtts://host:port}),
 * credentials, optional CA file for TLS, topic prefix, host id, optional command secret, state directory and the
 * service image that tag events must name. Construction validates and names the offending key.
 */
public record MqttSettings(String url, String username, String password, Path caFile, String topicPrefix,
    String hostId, byte[] commandSecret, Path stateDir, String serviceImage) {

  /** Validates the settings; throws IllegalArgumentException naming the config key to fix. */
  public MqttSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(topicPrefix, "topicPrefix");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(serviceImage, "serviceImage");
    parse(url);
    if (topicPrefix.isEmpty() || topicPrefix.startsWith("/") || topicPrefix.endsWith("/")
        || topicPrefix.contains("//") || containsWildcard(topicPrefix)) {
      throw new IllegalArgumentException("mqtt.topic_prefix " + Identifiers.quote(topicPrefix)
          + " is not a usable topic prefix (use levels like odoo or site/odoo, without + or # or empty levels)");
    }
    if (hostId.isEmpty() || hostId.contains("/") || containsWildcard(hostId) || hostId.equals("all")) {
      throw new IllegalArgumentException("host_id " + Identifiers.quote(hostId)
          + " cannot be a topic level (use a name without /, + or #, and not 'all')");
    }
    if (commandSecret != null && commandSecret.length == 0) {
      throw new IllegalArgumentException("mqtt.command_secret_file is empty (put the shared secret in it, or unset"
          + " the key to accept unsigned commands)");
    }
    commandSecret = commandSecret == null ? null : commandSecret.clone();
  }

  /** Whether the URL asks for TLS ({@code mqtts://}). */
  public boolean tls() {
    return parse(url).getScheme().toLowerCase(Locale.ROOT).equals("mqtts");
  }

  /** The broker host name or address from the URL. */
  public String host() {
    String host = parse(url).getHost();
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** The broker port from the URL, 1883 or 8883 by default. */
  public int port() {
    int port = parse(url).getPort();
    return port > 0 ? port : tls() ? 8883 : 1883;
  }

  /** The MQTT client id: {@code odoo-agent-<host_id>}. */
  public String clientId() {
    return "odoo-agent-" + hostId;
  }

  /** {@code P/tags}: tag events for every host. */
  public String tagsTopic() {
    return topicPrefix + "/tags";
  }

  /** {@code P/H/cmd}: commands for this host. */
  public String commandTopic() {
    return topicPrefix + "/" + hostId + "/cmd";
  }

  /** {@code P/all/cmd}: commands for every host. */
  public String allCommandTopic() {
    return topicPrefix + "/all/cmd";
  }

  /** {@code P/H/cmd/result}: results of this host's commands. */
  public String resultTopic() {
    return topicPrefix + "/" + hostId + "/cmd/result";
  }

  /** {@code P/H/status}: this host's retained status and last will. */
  public String statusTopic() {
    return topicPrefix + "/" + hostId + "/status";
  }

  /** {@code P/H/events}: this host's deploy steps. */
  public String eventsTopic() {
    return topicPrefix + "/" + hostId + "/events";
  }

  /** A copy of the command secret, or null when commands are not signed. */
  @Override
  public byte[] commandSecret() {
    return commandSecret == null ? null : commandSecret.clone();
  }

  /** The settings with password and command secret masked. */
  @Override
  public String toString() {
    return "MqttSettings[url=" + url + ", username=" + username + ", password=" + (password == null ? "none" : "***")
        + ", caFile=" + caFile + ", topicPrefix=" + topicPrefix + ", hostId=" + hostId + ", commandSecret="
        + (commandSecret == null ? "none" : "***") + ", stateDir=" + stateDir + ", serviceImage=" + serviceImage + "]";
  }

  /** Compares all fields, the command secret by content. */
  @Override
  public boolean equals(Object other) {
    return other instanceof MqttSettings o && url.equals(o.url) && Objects.equals(username, o.username)
        && Objects.equals(password, o.password) && Objects.equals(caFile, o.caFile) && topicPrefix.equals(o.topicPrefix)
        && hostId.equals(o.hostId) && Arrays.equals(commandSecret, o.commandSecret) && stateDir.equals(o.stateDir)
        && serviceImage.equals(o.serviceImage);
  }

  /** Hashes all fields, the command secret by content. */
  @Override
  public int hashCode() {
    return Objects.hash(url, username, password, caFile, topicPrefix, hostId, Arrays.hashCode(commandSecret),
        stateDir, serviceImage);
  }

  private static boolean containsWildcard(String s) {
    return s.indexOf('+') >= 0 || s.indexOf('#') >= 0 || s.indexOf('\0') >= 0;
  }

  private static URI parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw badUrl(url);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("mqtt") || scheme.equals("mqtts")) || uri.getHost() == null || uri.getUserInfo() != null
        || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw badUrl(url);
    }
    return uri;
  }

  private static IllegalArgumentException badUrl(String url) {
    String shown = url.replaceAll("//[^/@]*@", "//***@");
    return new IllegalArgumentException("mqtt.url " + Identifiers.quote(shown)
        + " is not of the form mqtt://host:port or mqtts://host:port (fix mqtt.url, or leave it empty to turn MQTT off)");
  }
}
