package dev.odooagent.mqtt;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One persistent-session connection to the broker with the offline last will on {@code P/H/status}, reconnecting
 * forever with jittered backoff; publishes at QoS 1 and completes each publish on the broker's acknowledgement.
 */
final class MqttConnection {

  /** What the connection tells its owner; called on the connection's context. */
  interface Listener {
    /** The connection is up (again): subscribe and publish what waited. */
    void connected();

    /** A message arrived; the listener acknowledges it (auto-ack is off). */
    void message(MqttPublishMessage message);
  }

  static final int MAX_MESSAGE_BYTES = 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);
  private static final int KEEP_ALIVE_SECONDS = 30;
  private static final int ACK_TIMEOUT_SECONDS = 10;
  private static final long CONNECT_TIMEOUT_MILLIS = 15_000;
  private static final long STOP_TIMEOUT_MILLIS = 5_000;

  private final Vertx vertx;
  private final MqttSettings settings;
  private final JsonObject will;
  private final Backoff backoff;
  private Listener listener;
  private Context context;
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
  private final Map<Integer, Promise<Void>> awaitingAck = new HashMap<>();
  private final Map<Integer, List<String>> awaitingSubAck = new HashMap<>();

  /** A connection that leaves {@code will} retained on {@code P/H/status} when it is lost. */
  MqttConnection(Vertx vertx, MqttSettings settings, JsonObject will) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.will = will.copy();
    this.backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /** Binds the connection to the calling context; must be called before anything else. */
  void bind(Context context, Listener listener) {
    this.context = context;
    this.listener = listener;
  }

  /** Whether a context is bound (the bridge was started). */
  boolean bound() {
    return context != null;
  }

  /** The context every callback runs on. */
  Context context() {
    return context;
  }

  /** Connects; completes once connected, or once the first attempt failed and retrying is scheduled. */
  Future<Void> open() {
    started = Promise.promise();
    connect();
    return started.future();
  }

  /** Whether the connection is up now. */
  boolean connected() {
    return connected;
  }

  /** Whether {@link #close} was called. */
  boolean stopping() {
    return stopping;
  }

  /** Stops reconnecting, runs {@code last} while still connected (bounded), then disconnects. */
  Future<Void> close(Supplier<Future<Void>> last) {
    stopping = true;
    if (reconnectTimer != -1) {
      vertx.cancelTimer(reconnectTimer);
      reconnectTimer = -1;
    }
    completeStart();
    MqttClient c = client;
    Future<Void> before = connected
        ? last.get().timeout(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
            .recover(e -> {
              LOG.warn("mqtt: could not publish the offline status before disconnecting: {}", e.getMessage());
              return Future.succeededFuture();
            })
        : Future.succeededFuture();
    return before.compose(v -> c == null ? Future.<Void>succeededFuture() : c.disconnect()
        .timeout(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .recover(e -> Future.succeededFuture()));
  }

  /** Subscribes at QoS 1; a refusal by the broker is logged with the topic and the ACL hint. */
  void subscribe(List<String> topics) {
    MqttClient c = client;
    if (!connected || c == null || topics.isEmpty()) {
      return;
    }
    Map<String, Integer> qos = new java.util.LinkedHashMap<>();
    topics.forEach(t -> qos.put(t, MqttQoS.AT_LEAST_ONCE.value()));
    try {
      c.subscribe(qos)
          .onSuccess(packetId -> awaitingSubAck.put(packetId, new ArrayList<>(qos.keySet())))
          .onFailure(e -> LOG.error("mqtt: could not subscribe to {}: {}", qos.keySet(), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.debug("mqtt: connection lost while subscribing: {}", e.toString());
    }
  }

  /** Unsubscribes from a topic filter; nothing happens while disconnected (a new session resubscribes anyway). */
  void unsubscribe(String topic) {
    MqttClient c = client;
    if (!connected || c == null) {
      return;
    }
    try {
      c.unsubscribe(topic).onFailure(e -> LOG.debug("mqtt: could not unsubscribe from {}: {}", topic, e.getMessage()));
    } catch (RuntimeException e) {
      LOG.debug("mqtt: connection lost while unsubscribing: {}", e.toString());
    }
  }

  /** Publishes at QoS 1; completes when the broker acknowledges, fails with {@link ConnectionLost} if it drops first. */
  Future<Void> publish(String topic, JsonObject payload, boolean retain) {
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

  /** Runs the action on the connection's context and returns its future. */
  <T> Future<T> onContext(Supplier<Future<T>> action) {
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

  /** Acknowledges a message; a message whose connection is gone is redelivered by the broker. */
  static void ack(MqttPublishMessage message) {
    try {
      message.ack();
    } catch (RuntimeException e) {
      // the connection it came on is gone; the broker redelivers it and the command id cache dedupes it
      LOG.debug("mqtt: could not acknowledge a message: {}", e.toString());
    }
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
    c.publishHandler(message -> listener.message(message));
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
        onConnected();
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
        .setWillMessageBytes(Buffer.buffer(will.encode()))
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

  private void onConnected() {
    connected = true;
    // the oversized message went with the old session; the next reconnect resumes a persistent one
    discardSession = false;
    lastFailure = null;
    backoff.reset();
    LOG.info("mqtt: connected to {} as {}", settings.url(), settings.clientId());
    listener.connected();
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

  /** The connection closed while a publish waited for the broker's acknowledgement. */
  static final class ConnectionLost extends RuntimeException {
    ConnectionLost() {
      super("mqtt: the connection was lost before the broker acknowledged", null, false, false);
    }
  }
}
