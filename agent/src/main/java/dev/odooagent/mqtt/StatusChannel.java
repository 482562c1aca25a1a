package dev.odooagent.mqtt;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Status publishing: the retained {@code P/H/status} (kept for the reconnect while down) and the {@code P/H/events} stream. */
final class StatusChannel {

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);

  private final MqttConnection connection;
  private final MqttSettings settings;
  private final Supplier<JsonObject> status;
  private JsonObject pendingStatus;

  /** A channel that reads the current status from {@code status} when it (re)connects. */
  StatusChannel(MqttConnection connection, MqttSettings settings, Supplier<JsonObject> status) {
    this.connection = connection;
    this.settings = settings;
    this.status = status;
  }

  /** The retained status that the broker keeps for a host that is gone: {@code {"host":H,"state":"offline"}}. */
  static JsonObject offline(String hostId) {
    return new JsonObject().put("host", hostId).put("state", "offline");
  }

  /** Publishes the status retained, or keeps it for the reconnect; runs on the connection's context. */
  Future<Void> publish(JsonObject payload) {
    if (!connection.connected()) {
      pendingStatus = payload;
      return Future.succeededFuture();
    }
    return connection.publish(settings.statusTopic(), payload, true);
  }

  /** Publishes one deploy step, or drops it while disconnected; runs on the connection's context. */
  Future<Void> event(JsonObject payload) {
    if (!connection.connected()) {
      LOG.debug("mqtt: not connected, dropping event {}", payload.getValue("step"));
      return Future.succeededFuture();
    }
    return connection.publish(settings.eventsTopic(), payload, false);
  }

  /** Publishes the current status (after a reconnect or a {@code status} command). */
  void republish() {
    JsonObject current = current();
    pendingStatus = null;
    if (current != null && connection.connected()) {
      connection.publish(settings.statusTopic(), current, true)
          .onFailure(e -> LOG.warn("mqtt: could not publish the status: {}", e.getMessage()));
    }
  }

  /** Publishes the offline status before a clean disconnect (the last will only fires on a lost connection). */
  Future<Void> offline() {
    return connection.publish(settings.statusTopic(), offline(settings.hostId()), true);
  }

  /** The status with {@code host} added when missing. */
  JsonObject withHost(JsonObject status) {
    JsonObject copy = status.copy();
    if (!copy.containsKey("host")) {
      copy.put("host", settings.hostId());
    }
    return copy;
  }

  private JsonObject current() {
    JsonObject current = null;
    try {
      current = status.get();
    } catch (RuntimeException e) {
      LOG.warn("mqtt: the status source failed: {}", e.toString());
    }
    if (current == null) {
      current = pendingStatus;
    }
    return current == null ? null : withHost(current);
  }
}
