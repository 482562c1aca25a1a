package dev.odooagent.mqtt;

import dev.odooagent.event.EventCounter;
import dev.odooagent.event.Source;
import dev.odooagent.event.TriggerSink;
import dev.odooagent.event.Verdict;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.MqttConnectionException;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubAckMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's MQTT adapter: keeps one persistent-session connection to the broker (reconnecting forever with
 * jittered backoff), turns {@code P/tags} messages into triggers, verifies and runs commands from {@code P/H/cmd} and
 * {@code P/all/cmd} and answers them on {@code P/H/cmd/result}, and publishes the retained {@code P/H/status} (with an
 * offline last will) and the {@code P/H/events} stream.
 */
public final class MqttBridge {

  /** How long executed command ids are remembered, to refuse replays and QoS 1 redeliveries. */
  public static final Duration COMMAND_ID_RETENTION = Duration.ofHours(24);
  /** The file under the state directory that holds executed command ids. */
  public static final String COMMAND_ID_FILE = "mqtt-command-ids";

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);
  private static final int KEEP_ALIVE_SECONDS = 30;
  private static final int ACK_TIMEOUT_SECONDS = 10;
  private static final long CONNECT_TIMEOUT_MILLIS = 15_000;
  private static final long STOP_TIMEOUT_MILLIS = 5_000;
  private static final int MAX_PENDING_RESULTS = 100;
  private static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  private final Vertx vertx;
  private final MqttSettings settings;
  private final TriggerSink sink;
  private final EventCounter counter;
  private final CommandHandler commands;
  private final Supplier<JsonObject> status;
  private final Clock clock;
  private final TagEvents tagEvents;
  private final Backoff backoff;

  private Context context;
  private ReplayCache executed;
  private CommandVerifier verifier;
  private MqttClient client;
  private volatile boolean connected;
  /**
   * Set when the broker sent a message larger than {@link #MAX_MESSAGE_BYTES}: the client cannot decode it, so cannot
   * acknowledge it, and a persistent session would redeliver it on every reconnect; the next connection starts clean.
   */
  private boolean discardSession;
  private boolean stopping;
  private long reconnectTimer = -1;
  private Promise<Void> started;
  private String lastFailure;
  private JsonObject pendingStatus;
  private final Deque<JsonObject> pendingResults = new ArrayDeque<>();
  private final Map<Integer, Promise<Void>> awaitingAck = new HashMap<>();
  private final Map<Integer, List<String>> awaitingSubAck = new HashMap<>();

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
    this.sink = Objects.requireNonNull(sink, "sink");
    this.counter = Objects.requireNonNull(counter, "counter");
    this.commands = Objects.requireNonNull(commands, "commands");
    this.status = Objects.requireNonNull(status, "status");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tagEvents = new TagEvents(settings.serviceImage());
    this.backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * Loads the command id file and connects; completes once connected, or once the first attempt failed and retrying
   * is scheduled, so the agent boots without a broker. Fails only when the state directory or CA file is unusable.
   */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    Path file = settings.stateDir().resolve(COMMAND_ID_FILE);
    return onContext(() -> context.executeBlocking(() -> {
      Path ca = settings.caFile();
      if (settings.tls() && ca != null && !Files.isReadable(ca)) {
        throw new IllegalStateException("mqtt: the CA file " + ca + " is not readable (fix mqtt.ca_file)");
      }
      try {
        return ReplayCache.open(file, COMMAND_ID_RETENTION, clock);
      } catch (java.io.IOException | RuntimeException e) {
        throw new IllegalStateException("mqtt: cannot open the command id file " + file + ": " + e.getMessage()
            + " (check that state_dir is writable by the agent)", e);
      }
    }).compose(cache -> {
      executed = cache;
      verifier = new CommandVerifier(settings.commandSecret(), cache, clock);
      started = Promise.promise();
      LOG.info("mqtt: connecting to {} as {} (commands {})", settings.url(), settings.clientId(),
          verifier.signing() ? "must be signed" : "are not signed");
      connect();
      return started.future();
    }));
  }

  /**
   * Publishes the offline status (retained) and disconnects cleanly; the last will is not used because the broker
   * only sends it when the connection is lost without a DISCONNECT.
   */
  public Future<Void> stop() {
    if (context == null) {
      return Future.succeededFuture();
    }
    return onContext(() -> {
      stopping = true;
      if (reconnectTimer != -1) {
        vertx.cancelTimer(reconnectTimer);
        reconnectTimer = -1;
      }
      completeStart();
      MqttClient c = client;
      Future<Void> offline = connected
          ? publish(settings.statusTopic(), offlineStatus(), true)
              .timeout(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
              .recover(e -> {
                LOG.warn("mqtt: could not publish the offline status before disconnecting: {}", e.getMessage());
                return Future.succeededFuture();
              })
          : Future.succeededFuture();
      return offline
          .compose(v -> c == null ? Future.<Void>succeededFuture() : c.disconnect()
              .timeout(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
              .recover(e -> Future.succeededFuture()))
          .eventually(() -> context.executeBlocking(() -> {
            if (executed != null) {
              executed.close();
            }
            return null;
          }))
          .onComplete(ar -> LOG.info("mqtt: stopped"))
          .mapEmpty();
    });
  }

  /** Whether the bridge is connected to the broker now (the {@code odoo_agent_mqtt_connected} gauge). */
  public boolean connected() {
    return connected;
  }

  /**
   * Publishes the status retained on {@code P/H/status} (adding {@code host} when missing); while disconnected it is
   * remembered and the latest status is published on reconnect, and the future succeeds.
   */
  public Future<Void> publishStatus(JsonObject status) {
    JsonObject payload = withHost(status);
    return onContext(() -> {
      if (!connected) {
        pendingStatus = payload;
        return Future.succeededFuture();
      }
      return publish(settings.statusTopic(), payload, true);
    });
  }

  /** Publishes one deploy step on {@code P/H/events}; while disconnected the event is dropped and the future succeeds. */
  public Future<Void> publishEvent(JsonObject event) {
    JsonObject payload = event.copy();
    return onContext(() -> {
      if (!connected) {
        LOG.debug("mqtt: not connected, dropping event {}", payload.getValue("step"));
        return Future.succeededFuture();
      }
      return publish(settings.eventsTopic(), payload, false);
    });
  }

  private void connect() {
    reconnectTimer = -1;
    if (stopping) {
      return;
    }
    MqttClient c = MqttClient.create(vertx, options());
    client = c;
    awaitingAck.clear();
    awaitingSubAck.clear();
    c.publishHandler(message -> onMessage(c, message));
    c.publishCompletionHandler(packetId -> acked(c, packetId, null));
    c.publishCompletionExpirationHandler(packetId -> acked(c, packetId,
        "the broker did not acknowledge within " + ACK_TIMEOUT_SECONDS + " s"));
    c.subscribeCompletionHandler(this::checkSubscription);
    c.exceptionHandler(e -> {
      if (causedBy(e, TooLongFrameException.class)) {
        discardSession = true;
        LOG.warn("mqtt: the broker sent a message larger than {} bytes, which cannot be read; reconnecting with a clean"
            + " session so that it is not delivered again (messages queued for the agent are lost)", MAX_MESSAGE_BYTES);
      } else {
        LOG.debug("mqtt: connection error: {}", e.toString());
      }
    });
    c.closeHandler(v -> onClosed(c));
    long guard = vertx.setTimer(CONNECT_TIMEOUT_MILLIS, t -> {
      if (client == c && !connected) {
        c.disconnect();
      }
    });
    String host = settings.host();
    Future<?> attempt = settings.tls() && !isIpLiteral(host)
        ? c.connect(settings.port(), host, host)
        : c.connect(settings.port(), host);
    attempt.onComplete(ar -> {
      vertx.cancelTimer(guard);
      if (client != c || stopping) {
        if (ar.succeeded()) {
          c.disconnect();
        }
        return;
      }
      if (ar.succeeded()) {
        onConnected(c);
      } else {
        onConnectFailed(ar.cause());
      }
    });
  }

  private MqttClientOptions options() {
    MqttClientOptions options = new MqttClientOptions()
        .setClientId(settings.clientId())
        .setCleanSession(discardSession)
        .setKeepAliveInterval(KEEP_ALIVE_SECONDS)
        .setAckTimeout(ACK_TIMEOUT_SECONDS)
        .setMaxInflightQueue(100)
        .setMaxMessageSize(MAX_MESSAGE_BYTES)
        .setWillFlag(true)
        .setWillTopic(settings.statusTopic())
        .setWillMessageBytes(Buffer.buffer(offlineStatus().encode()))
        .setWillQoS(MqttQoS.AT_LEAST_ONCE.value())
        .setWillRetain(true);
    options.setAutoAck(false);
    options.setConnectTimeout((int) CONNECT_TIMEOUT_MILLIS);
    if (settings.username() != null) {
      options.setUsername(settings.username());
    }
    if (settings.password() != null) {
      options.setPassword(settings.password());
    }
    if (settings.tls()) {
      options.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
      if (settings.caFile() != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(settings.caFile().toString()));
      }
    }
    return options;
  }

  private void onConnected(MqttClient c) {
    connected = true;
    // the oversized message went with the old session; the next reconnect resumes a persistent one
    discardSession = false;
    lastFailure = null;
    backoff.reset();
    LOG.info("mqtt: connected to {} as {}", settings.url(), settings.clientId());
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put(settings.tagsTopic(), MqttQoS.AT_LEAST_ONCE.value());
    topics.put(settings.commandTopic(), MqttQoS.AT_LEAST_ONCE.value());
    topics.put(settings.allCommandTopic(), MqttQoS.AT_LEAST_ONCE.value());
    try {
      c.subscribe(topics)
          .onSuccess(packetId -> awaitingSubAck.put(packetId, new ArrayList<>(topics.keySet())))
          .onFailure(e -> LOG.error("mqtt: could not subscribe to {}: {}", topics.keySet(), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.debug("mqtt: connection lost while subscribing: {}", e.toString());
    }
    JsonObject current = currentStatus();
    pendingStatus = null;
    if (current != null) {
      publish(settings.statusTopic(), current, true)
          .onFailure(e -> LOG.warn("mqtt: could not publish the status: {}", e.getMessage()));
    }
    flushPendingResults();
    completeStart();
  }

  private void onConnectFailed(Throwable cause) {
    String reason = describe(cause);
    long delay = scheduleReconnect();
    if (!reason.equals(lastFailure)) {
      LOG.warn("mqtt: cannot connect to {} as {}: {}; retrying in {} ms and on, with backoff up to 30 s",
          settings.url(), settings.clientId(), reason, delay);
    } else {
      LOG.debug("mqtt: still cannot connect to {}: {}; retrying in {} ms", settings.url(), reason, delay);
    }
    lastFailure = reason;
    completeStart();
  }

  private void onClosed(MqttClient c) {
    if (client != c) {
      return;
    }
    boolean wasConnected = connected;
    connected = false;
    List<Promise<Void>> unacked = new ArrayList<>(awaitingAck.values());
    awaitingAck.clear();
    unacked.forEach(p -> p.tryFail(new ConnectionLost()));
    if (stopping) {
      return;
    }
    long delay = scheduleReconnect();
    if (wasConnected) {
      LOG.warn("mqtt: lost the connection to {}; reconnecting in {} ms", settings.url(), delay);
    }
  }

  private long scheduleReconnect() {
    if (stopping || reconnectTimer != -1) {
      return 0;
    }
    long delay = backoff.nextDelayMillis();
    reconnectTimer = vertx.setTimer(delay, t -> connect());
    return delay;
  }

  private void completeStart() {
    if (started != null) {
      started.tryComplete();
    }
  }

  private void checkSubscription(MqttSubAckMessage ack) {
    List<String> topics = awaitingSubAck.remove(ack.messageId());
    List<Integer> granted = ack.grantedQoSLevels();
    for (int i = 0; i < granted.size(); i++) {
      if (granted.get(i) == 0x80) {
        String topic = topics != null && i < topics.size() ? topics.get(i) : "a topic";
        LOG.error("mqtt: the broker refused the subscription to {} (check the broker ACL for user {})", topic,
            settings.username());
      }
    }
  }

  private void acked(MqttClient c, int packetId, String failure) {
    if (client != c) {
      return;
    }
    Promise<Void> promise = awaitingAck.remove(packetId);
    if (promise == null) {
      return;
    }
    if (failure == null) {
      promise.tryComplete();
    } else {
      promise.tryFail("mqtt: " + failure);
    }
  }

  private Future<Void> publish(String topic, JsonObject payload, boolean retain) {
    MqttClient c = client;
    if (!connected || c == null) {
      return Future.failedFuture("mqtt: not connected to " + settings.url());
    }
    Promise<Void> acked = Promise.promise();
    try {
      c.publish(topic, Buffer.buffer(payload.encode()), MqttQoS.AT_LEAST_ONCE, false, retain)
          .onSuccess(packetId -> awaitingAck.put(packetId, acked))
          .onFailure(acked::tryFail);
    } catch (RuntimeException e) {
      acked.tryFail("mqtt: the connection was lost while publishing to " + topic);
    }
    return acked.future();
  }

  private void onMessage(MqttClient c, MqttPublishMessage message) {
    String topic = message.topicName();
    byte[] payload = message.payload().getBytes();
    if (payload.length == 0) {
      // an empty message is how MQTT clears a retained one; it carries nothing to act on
      LOG.debug("mqtt: ignoring an empty message on {}", topic);
      ack(message);
      return;
    }
    if (topic.equals(settings.tagsTopic())) {
      try {
        onTagEvent(payload);
      } finally {
        ack(message);
      }
    } else if (topic.equals(settings.commandTopic()) || topic.equals(settings.allCommandTopic())) {
      onCommand(message, payload);
    } else {
      LOG.debug("mqtt: ignoring a message on unexpected topic {}", topic);
      ack(message);
    }
  }

  private void onTagEvent(byte[] payload) {
    TagEvents.Outcome outcome = tagEvents.read(payload, clock.instant());
    if (outcome.rejectedReason() != null) {
      LOG.warn("mqtt: {}", outcome.rejectedReason());
      counter.count(Source.MQTT, "rejected");
      return;
    }
    if (outcome.ignoredReason() != null) {
      LOG.info("mqtt: {}", outcome.ignoredReason());
      counter.count(Source.MQTT, "ignored");
      return;
    }
    Verdict verdict;
    try {
      verdict = sink.offer(outcome.trigger());
    } catch (RuntimeException e) {
      LOG.error("mqtt: the tag event for {} could not be handed to the policy: {}", outcome.trigger().tag(),
          e.toString());
      counter.count(Source.MQTT, "rejected");
      return;
    }
    LOG.info("mqtt: tag event {}{}: {}", outcome.trigger().tag(),
        outcome.trigger().digest() == null ? "" : " (" + outcome.trigger().digest() + ")",
        verdict == Verdict.ACCEPTED ? "accepted" : "ignored by the policy");
    counter.count(Source.MQTT, verdict == Verdict.ACCEPTED ? "accepted" : "ignored");
  }

  private void onCommand(MqttPublishMessage message, byte[] payload) {
    Command command;
    try {
      command = verifier.verify(payload);
      if (message.isRetain()) {
        throw new CommandRefusedException(command.id(), "command refused: it was published retained, so it would"
            + " be delivered again on every reconnect (publish commands without the retain flag, and clear this one"
            + " with an empty retained message on " + message.topicName() + ")");
      }
    } catch (CommandRefusedException e) {
      ack(message);
      if (e.duplicate() && message.isDup()) {
        redelivered(e.commandId());
      } else {
        refuse(e);
      }
      return;
    }
    context.<Boolean>executeBlocking(() -> executed.add(command.id()), true).onComplete(ar -> {
      ack(message);
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
    run.onComplete(ar -> onContext(() -> {
      if (ar.succeeded()) {
        result(new JsonObject().put("id", command.id()).put("ok", true).put("deploy_id", ar.result()));
        if (command.action() == Command.Action.STATUS) {
          JsonObject current = currentStatus();
          if (current != null && connected) {
            publish(settings.statusTopic(), current, true)
                .onFailure(e -> LOG.warn("mqtt: could not publish the status: {}", e.getMessage()));
          }
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
    if (!connected) {
      keepForReconnect(result);
      return;
    }
    publish(settings.resultTopic(), result, false).onFailure(e -> {
      if (!stopping && (e instanceof ConnectionLost || !connected)) {
        // results are published at least once: the operator correlates by id, and a lost one would hide the outcome
        keepForReconnect(result);
        if (connected) {
          // the bridge reconnected before this failure was handled: the reconnect's flush has already run
          flushPendingResults();
        }
      } else {
        LOG.warn("mqtt: could not publish the result of command {}: {}", result.getValue("id"), e.getMessage());
      }
    });
  }

  private void flushPendingResults() {
    List<JsonObject> results = new ArrayList<>(pendingResults);
    pendingResults.clear();
    results.forEach(this::result);
  }

  /** The connection closed while a publish waited for the broker's acknowledgement. */
  private static final class ConnectionLost extends RuntimeException {
    ConnectionLost() {
      super("mqtt: the connection was lost before the broker acknowledged", null, false, false);
    }
  }

  private void keepForReconnect(JsonObject result) {
    if (pendingResults.size() >= MAX_PENDING_RESULTS) {
      JsonObject dropped = pendingResults.poll();
      LOG.warn("mqtt: dropping the unpublished result of command {}: more than {} are waiting for the broker",
          dropped.getValue("id"), MAX_PENDING_RESULTS);
    }
    pendingResults.add(result);
  }

  private static void ack(MqttPublishMessage message) {
    try {
      message.ack();
    } catch (RuntimeException e) {
      // the connection it came on is gone; the broker redelivers it and the command id cache dedupes it
      LOG.debug("mqtt: could not acknowledge a message: {}", e.toString());
    }
  }

  private JsonObject currentStatus() {
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

  private JsonObject withHost(JsonObject status) {
    JsonObject copy = status.copy();
    if (!copy.containsKey("host")) {
      copy.put("host", settings.hostId());
    }
    return copy;
  }

  private JsonObject offlineStatus() {
    return new JsonObject().put("host", settings.hostId()).put("state", "offline");
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    if (Vertx.currentContext() == context) {
      return action.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.tryFail(e);
      }
    });
    return promise.future();
  }

  private String describe(Throwable cause) {
    if (cause instanceof MqttConnectionException e) {
      return switch (e.code()) {
        case CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD, CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD ->
            "the broker refused the user name or password (check mqtt.username and mqtt.password_file)";
        case CONNECTION_REFUSED_NOT_AUTHORIZED, CONNECTION_REFUSED_NOT_AUTHORIZED_5 ->
            "the broker says user " + settings.username() + " is not authorized (check the broker's password file)";
        case CONNECTION_REFUSED_IDENTIFIER_REJECTED, CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID ->
            "the broker rejected the client id " + settings.clientId() + " (check host_id)";
        default -> "the broker refused the connection: " + e.code();
      };
    }
    if (cause instanceof javax.net.ssl.SSLException) {
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      return "TLS failed: " + root.getMessage() + " (check mqtt.ca_file and that the broker certificate names "
          + settings.host() + ")";
    }
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isIpLiteral(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }
}
