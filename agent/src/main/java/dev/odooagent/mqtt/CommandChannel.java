package dev.odooagent.mqtt;

import dev.odooagent.event.EventCounter;
import dev.odooagent.event.Source;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.time.Clock;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command channel: verifies commands from {@code P/H/cmd} and {@code P/all/cmd} (signature, replay), runs them
 * through the {@link CommandHandler} and publishes each result on {@code P/H/cmd/result} at least once.
 */
final class CommandChannel {

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);
  private static final int MAX_PENDING_RESULTS = 100;

  private final MqttConnection connection;
  private final MqttSettings settings;
  private final EventCounter counter;
  private final CommandHandler commands;
  private final Clock clock;
  private final Runnable statusRequested;
  private final Deque<JsonObject> pendingResults = new ArrayDeque<>();
  private ReplayCache executed;
  private CommandVerifier verifier;

  /** A channel on the connection; {@code statusRequested} republishes the status after a {@code status} command. */
  CommandChannel(MqttConnection connection, MqttSettings settings, EventCounter counter, CommandHandler commands,
      Clock clock, Runnable statusRequested) {
    this.connection = connection;
    this.settings = settings;
    this.counter = counter;
    this.commands = commands;
    this.clock = clock;
    this.statusRequested = statusRequested;
  }

  /** Opens the command id file (blocking: call from a worker); fails naming state_dir when it is unusable. */
  void open(Duration retention) {
    Path file = settings.stateDir().resolve(MqttBridge.COMMAND_ID_FILE);
    try {
      executed = ReplayCache.open(file, retention, clock);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("mqtt: cannot open the command id file " + file + ": " + e.getMessage()
          + " (check that state_dir is writable by the agent)", e);
    }
    verifier = new CommandVerifier(settings.commandSecret(), executed, clock);
  }

  /** Whether commands must be signed. */
  boolean signing() {
    return verifier.signing();
  }

  /** The topics this channel listens on. */
  List<String> topics() {
    return List.of(settings.commandTopic(), settings.allCommandTopic());
  }

  /** Whether the topic is one of this channel's. */
  boolean owns(String topic) {
    return topic.equals(settings.commandTopic()) || topic.equals(settings.allCommandTopic());
  }

  /** Publishes the results that waited for a connection. */
  void connected() {
    List<JsonObject> results = new ArrayList<>(pendingResults);
    pendingResults.clear();
    results.forEach(this::result);
  }

  /** Closes the command id file (blocking). */
  void close() throws java.io.IOException {
    if (executed != null) {
      executed.close();
    }
  }

  /** Verifies, records and runs one command message, acknowledging it once its id is recorded. */
  void onCommand(MqttPublishMessage message, byte[] payload) {
    Command command;
    try {
      Command verified = verifier.verify(payload);
      command = message.topicName().equals(settings.allCommandTopic()) ? verified.asBroadcast() : verified;
      if (message.isRetain()) {
        throw new CommandRefusedException(command.id(), "command refused: it was published retained, so it would"
            + " be delivered again on every reconnect (publish commands without the retain flag, and clear this one"
            + " with an empty retained message on " + message.topicName() + ")");
      }
    } catch (CommandRefusedException e) {
      MqttConnection.ack(message);
      if (e.duplicate() && message.isDup()) {
        redelivered(e.commandId());
      } else {
        refuse(e);
      }
      return;
    }
    connection.context().<Boolean>executeBlocking(() -> executed.add(command.id()), true).onComplete(ar -> {
      MqttConnection.ack(message);
      if (ar.failed()) {
        LOG.error("mqtt: cannot record command id in {}: {}", executed.file(), ar.cause().toString());
        counter.count(Source.MQTT, "rejected");
        result(failure(command.id(), "command not executed: the agent cannot record its id in " + executed.file()
            + " (check that state_dir is writable and not full, then send it again)"));
        return;
      }
      if (!ar.result()) {
        if (message.isDup()) {
          redelivered(command.id());
        } else {
          refuse(new CommandRefusedException(command.id(), "command refused: id " + Identifiers.quote(command.id())
              + " was already executed; send each command with a new id", true));
        }
        return;
      }
      execute(command);
    });
  }

  private void execute(Command command) {
    counter.count(Source.MQTT, "accepted");
    LOG.info("mqtt: command {} {}{}", command.id(), command.action().label(),
        command.tag() != null ? " " + command.tag() : command.digest() != null ? " " + command.digest() : "");
    Future<String> run;
    try {
      run = commands.handle(command);
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    if (run == null) {
      run = Future.succeededFuture();
    }
    run.onComplete(ar -> connection.onContext(() -> {
      if (ar.succeeded()) {
        result(new JsonObject().put("id", command.id()).put("ok", true).put("deploy_id", ar.result()));
        if (command.action() == Command.Action.STATUS) {
          statusRequested.run();
        }
      } else {
        String error = ar.cause().getMessage() != null ? ar.cause().getMessage() : ar.cause().toString();
        LOG.warn("mqtt: command {} {} failed: {}", command.id(), command.action().label(), error);
        result(failure(command.id(), error));
      }
      return Future.succeededFuture();
    }));
  }

  private void redelivered(String id) {
    // a QoS 1 redelivery of a command already executed: its result was or will be published, so stay silent
    LOG.info("mqtt: command {} was delivered again by the broker and is not executed again", id);
    counter.count(Source.MQTT, "duplicate");
  }

  private void refuse(CommandRefusedException e) {
    LOG.warn("mqtt: {}{}", e.getMessage(), e.commandId() == null ? "" : " (id " + e.commandId() + ")");
    counter.count(Source.MQTT, e.duplicate() ? "duplicate" : "rejected");
    result(failure(e.commandId(), e.getMessage()));
  }

  private static JsonObject failure(String id, String error) {
    return new JsonObject().put("id", id).put("ok", false).put("error", error);
  }

  private void result(JsonObject result) {
    if (!connection.connected()) {
      keepForReconnect(result);
      return;
    }
    connection.publish(settings.resultTopic(), result, false).onFailure(e -> {
      if (!connection.stopping() && (e instanceof MqttConnection.ConnectionLost || !connection.connected())) {
        // results are published at least once: the operator correlates by id, and a lost one would hide the outcome
        keepForReconnect(result);
        if (connection.connected()) {
          // the bridge reconnected before this failure was handled: the reconnect's flush has already run
          connected();
        }
      } else {
        LOG.warn("mqtt: could not publish the result of command {}: {}", result.getValue("id"), e.getMessage());
      }
    });
  }

  private void keepForReconnect(JsonObject result) {
    if (pendingResults.size() >= MAX_PENDING_RESULTS) {
      JsonObject dropped = pendingResults.poll();
      LOG.warn("mqtt: dropping the unpublished result of command {}: more than {} are waiting for the broker",
          dropped.getValue("id"), MAX_PENDING_RESULTS);
    }
    pendingResults.add(result);
  }
}
