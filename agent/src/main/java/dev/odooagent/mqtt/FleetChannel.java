package dev.odooagent.mqtt;

import dev.odooagent.event.EventCounter;
import dev.odooagent.event.Source;
import dev.odooagent.fleet.FleetRecord;
import dev.odooagent.fleet.Gate;
import dev.odooagent.fleet.HostGate;
import dev.odooagent.fleet.OwnRecord;
import dev.odooagent.fleet.Watcher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet publishing and listening, with topics chosen so that a rollout costs O(N) broker deliveries:
 * <ul>
 *   <li>every host publishes its retained record on {@code P/fleet/G/<wave>/<host>} when it changes;</li>
 *   <li>a canary (wave 0) reads the canaries' records and statuses; the two lowest online canaries (the watchers)
 *       also read every record and status of the group and publish, when it changes, each wave's retained gate on
 *       {@code P/fleet/G/gate/<wave>};</li>
 *   <li>a host of wave k ≥ 1 reads only its wave's gate and the statuses of the gate's watchers;</li>
 *   <li>every host reads {@code P/fleet/G/rolled_back/+}, and publishes there, retained, each digest it rolled back.</li>
 * </ul>
 * With mqtt.command_secret_file set, what it publishes carries {@code ts} and {@code sig}, and what it reads without
 * a good signature is ignored.
 */
final class FleetChannel {

  /** What the fleet tells the agent; called on the bridge's context. */
  public interface Listener {
    /** The gate of this host's wave, or the liveness of its watchers, changed: held deploys may start now. */
    void gateChanged();

    /** Host {@code host} of the group rolled back {@code digest}: refuse it here too. */
    void rolledBack(String digest, String host, String reason);
  }

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);
  private static final long TICK_MILLIS = 1000;

  private final MqttConnection connection;
  private final MqttSettings settings;
  private final String group;
  private final int wave;
  private final HostGate hostGate;
  private final Watcher watcher;
  private final OwnRecord own;
  private final Listener listener;
  private final EventCounter counter;
  private final Clock clock;
  private final byte[] secret;
  private final String base;
  private final Set<String> statusSubscriptions = new HashSet<>();
  private final Map<String, JsonObject> rolledBackToPublish = new LinkedHashMap<>();
  private boolean wide;
  private long timer = -1;

  FleetChannel(MqttConnection connection, MqttSettings settings, String group, int wave, Duration soak,
      HostGate hostGate, Listener listener, EventCounter counter, Clock clock) {
    this.connection = connection;
    this.settings = settings;
    this.group = group;
    this.wave = wave;
    this.hostGate = hostGate;
    this.watcher = new Watcher(settings.hostId(), soak);
    this.own = new OwnRecord(settings.hostId(), wave);
    this.listener = listener;
    this.counter = counter;
    this.clock = clock;
    this.secret = settings.commandSecret();
    this.base = settings.topicPrefix() + "/fleet/" + group + "/";
  }

  /** Starts the once-a-second tick that watchers publish gates on (call on the connection's context). */
  void start() {
    if (wave == 0) {
      timer = connection.context().owner().setPeriodic(TICK_MILLIS, id -> tick());
    }
  }

  /** Stops the tick. */
  void stop() {
    if (timer != -1) {
      connection.context().owner().cancelTimer(timer);
    }
  }

  /** (Re)subscribes this host's fleet topics and republishes its record and the rollbacks not yet published. */
  void connected() {
    statusSubscriptions.clear();
    wide = false;
    List<String> topics = new ArrayList<>();
    topics.add(base + "rolled_back/+");
    topics.add(wave == 0 ? base + "0/+" : base + "gate/" + wave);
    connection.subscribe(topics);
    hostGate.watchers().forEach(this::followStatus);
    FleetRecord last = own.last();
    if (last != null) {
      publishSigned(recordTopic(last), last.toJson());
    }
    new ArrayList<>(rolledBackToPublish.keySet()).forEach(this::flushRolledBack);
  }

  /** Whether the topic is a fleet topic of this group or a host status this channel follows. */
  boolean owns(String topic) {
    return topic.startsWith(base) || statusHost(topic) != null;
  }

  /** Publishes this host's record when the status changed one of its fields. */
  void status(JsonObject status) {
    FleetRecord next = own.next(status, clock.instant());
    if (next != null && connection.connected()) {
      publishSigned(recordTopic(next), next.toJson());
    }
  }

  /** Publishes, retained, that this host rolled back {@code digest} (kept until the broker has it). */
  void rolledBack(String digest, String reason) {
    rolledBackToPublish.put(digest, new JsonObject().put("digest", digest).put("host", settings.hostId())
        .put("reason", reason).put("at", clock.instant().toString()));
    flushRolledBack(digest);
  }

  /** Reads one fleet message; acknowledged by the caller. */
  void onMessage(String topic, byte[] payload) {
    String host = statusHost(topic);
    if (host != null && !topic.startsWith(base)) {
      onStatus(host, payload);
      return;
    }
    JsonObject json;
    try {
      json = new JsonObject(Buffer.buffer(payload));
    } catch (RuntimeException e) {
      ignore(topic, "it is not a JSON object");
      return;
    }
    if (secret != null && !CommandVerifier.signedBy(json, secret)) {
      ignore(topic, "its sig is missing or does not match (fleet messages are signed with mqtt.command_secret_file)");
      return;
    }
    String[] levels = topic.substring(base.length()).split("/", -1);
    if (levels.length != 2) {
      return;
    }
    try {
      if (levels[0].equals("rolled_back")) {
        onRolledBack(levels[1], json);
      } else if (levels[0].equals("gate")) {
        onGate(levels[1], Gate.fromJson(json));
      } else if (levels[0].matches("[0-9]{1,4}")) {
        onRecord(Integer.parseInt(levels[0]), levels[1], FleetRecord.fromJson(json));
      }
    } catch (IllegalArgumentException e) {
      ignore(topic, e.getMessage());
    }
  }

  private void onStatus(String host, byte[] payload) {
    boolean online;
    try {
      online = !"offline".equals(new JsonObject(Buffer.buffer(payload)).getString("state"));
    } catch (RuntimeException e) {
      return;
    }
    watcher.status(host, online);
    if (hostGate.watchers().contains(host)) {
      hostGate.watcherStatus(host, online);
      listener.gateChanged();
    }
  }

  private void onRecord(int recordWave, String host, FleetRecord record) {
    if (record.wave() != recordWave || !record.host().equals(host)) {
      ignore(base + recordWave + "/" + host, "its host or wave differs from its topic");
      return;
    }
    watcher.record(host, record);
    if (wave == 0 && recordWave == 0) {
      followStatus(host);
    }
  }

  private void onGate(String level, Gate gate) {
    if (!level.equals(String.valueOf(gate.wave()))) {
      ignore(base + "gate/" + level, "its wave differs from its topic");
      return;
    }
    watcher.gate(gate);
    if (gate.wave() == wave) {
      hostGate.gate(gate);
      gate.watchers().forEach(this::followStatus);
      listener.gateChanged();
    }
  }

  private void onRolledBack(String digest, JsonObject json) {
    if (!digest.equals(json.getString("digest"))) {
      ignore(base + "rolled_back/" + digest, "its digest differs from its topic");
      return;
    }
    watcher.rolledBack(digest);
    String host = json.getString("host", "?");
    if (!host.equals(settings.hostId())) {
      listener.rolledBack(digest, host, json.getString("reason", "no reason given"));
    }
  }

  /** Canaries: follow the other canaries' statuses, become or stop being a watcher, publish the gates that changed. */
  private void tick() {
    if (!connection.connected()) {
      return;
    }
    watcher.canaries().forEach(this::followStatus);
    boolean watching = watcher.watching();
    if (watching && !wide) {
      LOG.info("fleet {}: this canary now computes the wave gates of the group", group);
      connection.subscribe(List.of(base + "+/+", settings.topicPrefix() + "/+/status"));
      wide = true;
    } else if (!watching && wide) {
      LOG.info("fleet {}: another canary computes the wave gates now", group);
      connection.unsubscribe(base + "+/+");
      connection.unsubscribe(settings.topicPrefix() + "/+/status");
      wide = false;
    }
    for (Gate g : watcher.due(clock.instant())) {
      LOG.info("fleet {}: wave {} {} for {}{}", group, g.wave(), g.open() ? "may start" : "waits", g.digest(),
          g.waitingFor().isEmpty() ? "" : " (waiting for " + String.join(", ", g.waitingFor()) + ")");
      publishSigned(base + "gate/" + g.wave(), g.toJson());
    }
  }

  private void followStatus(String host) {
    if (connection.connected() && statusSubscriptions.add(host)) {
      connection.subscribe(List.of(settings.topicPrefix() + "/" + host + "/status"));
    }
  }

  private void flushRolledBack(String digest) {
    JsonObject message = rolledBackToPublish.get(digest);
    if (message == null || !connection.connected()) {
      return;
    }
    publishSigned(base + "rolled_back/" + digest, message).onSuccess(x -> rolledBackToPublish.remove(digest, message));
  }

  private Future<Void> publishSigned(String topic, JsonObject payload) {
    JsonObject signed = payload.copy();
    if (secret != null) {
      signed.put("ts", clock.instant().getEpochSecond());
      signed.put("sig", CommandVerifier.sign(signed, secret));
    }
    return connection.publish(topic, signed, true)
        .onFailure(e -> LOG.warn("mqtt: could not publish {}: {}", topic, e.getMessage()));
  }

  private String recordTopic(FleetRecord r) {
    return base + r.wave() + "/" + r.host();
  }

  /** The host of a {@code P/<host>/status} topic, or null. */
  private String statusHost(String topic) {
    String prefix = settings.topicPrefix() + "/";
    if (!topic.startsWith(prefix) || !topic.endsWith("/status")) {
      return null;
    }
    String host = topic.substring(prefix.length(), topic.length() - "/status".length());
    return host.isEmpty() || host.contains("/") ? null : host;
  }

  private void ignore(String topic, String why) {
    LOG.warn("mqtt: ignoring the fleet message on {}: {}", topic, why);
    counter.count(Source.MQTT, "rejected");
  }
}
