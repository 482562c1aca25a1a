package dev.odooagent.mqtt;

import dev.odooagent.event.EventCounter;
import dev.odooagent.event.TriggerSink;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's MQTT adapter, assembled from its pieces: the {@link MqttConnection} (persistent session, backoff, last
 * will), the {@link CommandChannel} ({@code P/H/cmd}, {@code P/all/cmd}, results), the {@link TagChannel}
 * ({@code P/tags}), the {@link StatusChannel} ({@code P/H/status}, {@code P/H/events}) and, for a host in a fleet
 * group, the {@link FleetChannel} (records, wave gates, rolled-back digests).
 */
public final class MqttBridge {

  /** How long executed command ids are remembered, to refuse replays and QoS 1 redeliveries. */
  public static final Duration COMMAND_ID_RETENTION = Duration.ofHours(24);
  /** The file under the state directory that holds executed command ids. */
  public static final String COMMAND_ID_FILE = "mqtt-command-ids";

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);

  private final Vertx vertx;
  private final MqttSettings settings;
  private final MqttConnection connection;
  private final CommandChannel commands;
  private final TagChannel tags;
  private final StatusChannel status;
  private final EventCounter counter;
  private final Clock clock;
  private FleetChannel fleet;

  /**
   * A bridge on the system clock; nothing happens until {@link #start()}. The sink, the counter, the handler and the
   * status source are called on the bridge's event-loop context and must not block.
   */
  public MqttBridge(Vertx vertx, MqttSettings settings, TriggerSink sink, EventCounter counter,
      CommandHandler commands, Supplier<JsonObject> status) {
    this(vertx, settings, sink, counter, commands, status, Clock.systemUTC());
  }

  /** A bridge on the given clock (for {@code ts} checks and trigger times); nothing happens until {@link #start()}. */
  public MqttBridge(Vertx vertx, MqttSettings settings, TriggerSink sink, EventCounter counter,
      CommandHandler commands, Supplier<JsonObject> status, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.counter = counter;
    this.connection = new MqttConnection(vertx, settings, StatusChannel.offline(settings.hostId()));
    this.status = new StatusChannel(connection, settings, Objects.requireNonNull(status, "status"));
    this.commands = new CommandChannel(connection, settings, Objects.requireNonNull(counter, "counter"),
        Objects.requireNonNull(commands, "commands"), clock, this.status::republish);
    this.tags = new TagChannel(settings, Objects.requireNonNull(sink, "sink"), counter, clock);
  }

  /**
   * Joins fleet group {@code group} at {@code wave}: the bridge publishes this host's record and rollbacks, and feeds
   * {@code gate} with its wave's gate; call before {@link #start()}. The listener runs on the bridge's context.
   */
  public MqttBridge withFleet(String group, int wave, Duration soak, dev.odooagent.fleet.HostGate gate,
      FleetListener listener) {
    this.fleet = new FleetChannel(connection, settings, group, wave, soak, gate, new FleetChannel.Listener() {
      @Override
      public void gateChanged() {
        listener.gateChanged();
      }

      @Override
      public void rolledBack(String digest, String host, String reason) {
        listener.rolledBack(digest, host, reason);
      }
    }, counter, clock);
    return this;
  }

  /** What the fleet tells the agent: its wave's gate changed, or another host of the group rolled a digest back. */
  public interface FleetListener {
    /** Held deploys may start now: call the engine's release check. */
    void gateChanged();

    /** Host {@code host} of the group rolled back {@code digest}: refuse it here too. */
    void rolledBack(String digest, String host, String reason);
  }

  /**
   * Loads the command id file and connects; completes once connected, or once the first attempt failed and retrying
   * is scheduled, so the agent boots without a broker. Fails only when the state directory or CA file is unusable.
   */
  public Future<Void> start() {
    connection.bind(vertx.getOrCreateContext(), new MqttConnection.Listener() {
      @Override
      public void connected() {
        onConnected();
      }

      @Override
      public void message(MqttPublishMessage message) {
        onMessage(message);
      }
    });
    return connection.onContext(() -> connection.context().executeBlocking(() -> {
      Path ca = settings.caFile();
      if (settings.tls() && ca != null && !Files.isReadable(ca)) {
        throw new IllegalStateException("mqtt: the CA file " + ca + " is not readable (fix mqtt.ca_file)");
      }
      commands.open(COMMAND_ID_RETENTION);
      return null;
    }).compose(v -> {
      LOG.info("mqtt: connecting to {} as {} (commands {})", settings.url(), settings.clientId(),
          commands.signing() ? "must be signed" : "are not signed");
      if (fleet != null) {
        fleet.start();
      }
      return connection.open();
    }));
  }

  /**
   * Publishes the offline status (retained) and disconnects cleanly; the last will is not used because the broker
   * only sends it when the connection is lost without a DISCONNECT.
   */
  public Future<Void> stop() {
    if (!connection.bound()) {
      return Future.succeededFuture();
    }
    return connection.onContext(() -> {
      if (fleet != null) {
        fleet.stop();
      }
      return connection.close(status::offline)
          .eventually(() -> connection.context().executeBlocking(() -> {
            commands.close();
            return null;
          }))
          .onComplete(ar -> LOG.info("mqtt: stopped"))
          .mapEmpty();
    });
  }

  /** Whether the bridge is connected to the broker now (the {@code odoo_agent_mqtt_connected} gauge). */
  public boolean connected() {
    return connection.connected();
  }

  /**
   * Publishes the status retained on {@code P/H/status} (adding {@code host} when missing); while disconnected it is
   * remembered and the latest status is published on reconnect, and the future succeeds.
   */
  public Future<Void> publishStatus(JsonObject payload) {
    JsonObject withHost = status.withHost(payload);
    return connection.onContext(() -> {
      if (fleet != null) {
        fleet.status(withHost);
      }
      return status.publish(withHost);
    });
  }

  /** Tells the fleet group, retained, that this host rolled back {@code digest}; kept until the broker has it. */
  public Future<Void> publishRolledBack(String digest, String reason) {
    return connection.onContext(() -> {
      if (fleet != null) {
        fleet.rolledBack(digest, reason);
      }
      return Future.succeededFuture();
    });
  }

  /** Publishes one deploy step on {@code P/H/events}; while disconnected the event is dropped and the future succeeds. */
  public Future<Void> publishEvent(JsonObject event) {
    JsonObject payload = event.copy();
    return connection.onContext(() -> status.event(payload));
  }

  private void onConnected() {
    List<String> topics = new ArrayList<>();
    topics.add(settings.tagsTopic());
    topics.addAll(commands.topics());
    connection.subscribe(topics);
    status.republish();
    if (fleet != null) {
      fleet.connected();
    }
    commands.connected();
  }

  private void onMessage(MqttPublishMessage message) {
    String topic = message.topicName();
    byte[] payload = message.payload().getBytes();
    if (payload.length == 0) {
      // an empty message is how MQTT clears a retained one; it carries nothing to act on
      LOG.debug("mqtt: ignoring an empty message on {}", topic);
      MqttConnection.ack(message);
      return;
    }
    if (topic.equals(settings.tagsTopic())) {
      try {
        tags.onTagEvent(payload);
      } finally {
        MqttConnection.ack(message);
      }
    } else if (commands.owns(topic)) {
      commands.onCommand(message, payload);
    } else if (fleet != null && fleet.owns(topic)) {
      try {
        fleet.onMessage(topic, payload);
      } finally {
        MqttConnection.ack(message);
      }
    } else {
      LOG.debug("mqtt: ignoring a message on unexpected topic {}", topic);
      MqttConnection.ack(message);
    }
  }
}
