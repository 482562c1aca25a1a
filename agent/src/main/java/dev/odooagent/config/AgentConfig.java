package dev.odooagent.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** The agent's whole validated configuration; built only by {@link ConfigLoader}. */
public record AgentConfig(
    String hostId,
    Path stateDir,
    Service service,
    Registry registry,
    Deploy deploy,
    Http http,
    Webhooks webhooks,
    Mqtt mqtt,
    Docker docker,
    Notify notifications,
    Fleet fleet) {

  /** The managed Odoo service; {@code sharedDatabase}: other hosts serve the same database ({@code server} is how to reach it). */
  public record Service(String container, String image, String track, Pattern tagPattern, String database,
      boolean sharedDatabase, DatabaseServer server) {}

  /**
   * The agent's own connection to the PostgreSQL server of the service's database, for coordinating a shared database;
   * a null host, port or user is taken from the service container's odoo.conf. {@code coordination} is the database
   * that holds the lock and the shared verdicts.
   */
  public record DatabaseServer(String host, Integer port, String user, Secret password, String coordination) {}

  /** The OCI registry the image comes from. */
  public record Registry(URI url, String username, Secret password, Duration pollInterval) {}

  /** How a deploy is run and gated. */
  public record Deploy(
      URI healthUrl,
      Duration healthInterval,
      int healthyThreshold,
      Duration healthTimeout,
      UpgradeMode upgrade,
      List<String> upgradeModules,
      Duration upgradeTimeout,
      SnapshotMode snapshot,
      int keepImages,
      List<String> gateHooks,
      Duration coalesceWindow,
      Duration gateTimeout,
      Duration pullTimeout,
      Duration rollbackTimeout,
      Duration keepCopy,
      MaintenanceWindow window,
      boolean auto,
      Strategy strategy) {}

  /** The admin listener. */
  public record Http(HostPort listen, Secret adminToken) {}

  /** The webhook listener. */
  public record Webhooks(HostPort listen, Secret githubSecret, Secret registryToken, long maxBody, int rateLimit, String githubImage) {}

  /** The MQTT connection; {@code url} is null when MQTT is off. */
  public record Mqtt(URI url, String username, Secret password, String topicPrefix, Secret commandSecret, Path caFile) {
    /** Whether MQTT is configured at all. */
    public boolean enabled() {
      return url != null;
    }
  }

  /** Verdict notifications; {@code webhookUrl} is null when they are off. The URL is a secret: it holds a token. */
  public record Notify(Secret webhookUrl, List<String> on) {}

  /** The rollout group and this host's wave in it; {@code group} is empty when the host rolls out alone. */
  public record Fleet(String group, int wave, Duration soak, Duration waveTimeout) {
    /** Whether the host belongs to a group. */
    public boolean enabled() {
      return !group.isEmpty();
    }
  }

  /** The Docker engine endpoint. */
  public record Docker(String host) {}

  /** A listen address. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /** Which modules the upgrade step updates. */
  public enum UpgradeMode { CHANGED, ALL, LIST, NONE }

  /**
   * How a deploy replaces the container: AUTO starts the new one first when no module is upgraded and the container
   * publishes no host port, and recreates otherwise.
   */
  public enum Strategy { AUTO, RECREATE, START_FIRST }

  /** Whether a safety copy of database and filestore is taken. */
  public enum SnapshotMode { TEMPLATE, NONE }
}
