package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.Await;
import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import dev.odooagent.event.Verdict;
import dev.odooagent.it.MqttOperator;
import dev.odooagent.it.TestBed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MQTT bridge against the test bed's real Mosquitto, driven with the real mosquitto_pub and mosquitto_sub. */
class MqttBridgeIT {

  /** A bound on each wait, not an expectation: ITs run side by side on two cores (a reconnect took over 20 s so). */
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String DIGEST = "sha256:" + "5e".repeat(32);

  private static Vertx vertx;
  private static MqttOperator operator;
  private static String prefix;
  private static String image;
  private static final List<String> hostsUsed = new CopyOnWriteArrayList<>();

  private final List<Agent> agents = new ArrayList<>();
  private final List<TcpProxy> proxies = new ArrayList<>();

  @TempDir
  Path temp;

  @BeforeAll
  static void testBed() throws Exception {
    URI plain = URI.create(TestBed.env("MQTT_URL"));
    checkPort(plain.getHost(), plain.getPort());
    operator = new MqttOperator();
    prefix = "odoo/it-" + randomHex(4);
    image = TestBed.env("IMAGE");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (operator != null) {
      for (String host : hostsUsed) {
        operator.clearRetained(prefix + "/" + host + "/status");
        operator.dropSession("odoo-agent-" + host, prefix + "/cleanup");
      }
      operator.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void stopAgents() throws Exception {
    for (Agent agent : agents) {
      agent.bridge.stop().await(10, TimeUnit.SECONDS);
    }
    for (TcpProxy proxy : proxies) {
      proxy.close();
    }
  }

  @Test
  void tagEventFromTheOperatorReachesThePolicy() throws Exception {
    Agent agent = startAgent(TestBed.env("MQTT_URL"), null, null);

    operator.publish(prefix + "/tags", "{\"image\":\"" + image + "\",\"tag\":\"sha-057bb3a\",\"digest\":\"" + DIGEST
        + "\"}");
    operator.publish(prefix + "/tags", "{\"image\":\"ghcr.io/someone/else\",\"tag\":\"v9\"}");
    operator.publish(prefix + "/tags", "{\"image\":\"" + image + "\",\"tag\":\"sha-$(reboot)\"}");

    await(() -> agent.counts.size() >= 3, "three tag events counted");
    assertEquals(List.of("accepted", "ignored", "rejected"), agent.counts);
    assertEquals(1, agent.triggers.size());
    Trigger trigger = agent.triggers.get(0);
    assertEquals(Source.MQTT, trigger.source());
    assertEquals("sha-057bb3a", trigger.tag());
    assertEquals(DIGEST, trigger.digest());
    assertNull(trigger.deliveryId());
  }

  @Test
  void signedCommandIsExecutedOnceAndAnsweredAndItsReplayIsRefused() throws Exception {
    byte[] secret = randomHex(16).getBytes(StandardCharsets.US_ASCII);
    Agent agent = startAgent(TestBed.env("MQTT_URL"), null, secret);
    String payload = signedWithJq(new JsonObject().put("id", "pin-1").put("action", "pin").put("tag", "sha-057bb3a")
        .put("ts", Instant.now().getEpochSecond()), secret);

    operator.publish(agent.topic("cmd"), payload);
    JsonObject ok = agent.awaitResult("pin-1", true);
    assertEquals("deploy-1", ok.getString("deploy_id"));
    assertEquals(List.of("pin-1"), agent.executedIds());
    assertEquals(new Command("pin-1", Command.Action.PIN, "sha-057bb3a", null), agent.commands.get(0));

    operator.publish(agent.topic("cmd"), payload);
    JsonObject replay = agent.awaitResult("pin-1", false);
    assertTrue(replay.getString("error").contains("already used"), replay.encode());
    assertEquals(List.of("pin-1"), agent.executedIds());

    JsonObject unsigned = new JsonObject().put("id", "pin-2").put("action", "pin").put("tag", "v2");
    operator.publish(agent.topic("cmd"), unsigned.encode());
    assertEquals("command refused: sig is missing (commands must be signed because mqtt.command_secret_file is set)",
        agent.awaitResult("pin-2", false).getString("error"));

    JsonObject tampered = new JsonObject(payload).put("id", "pin-3");
    operator.publish(agent.topic("cmd"), tampered.encode());
    assertEquals("command refused: sig does not match (check mqtt.command_secret_file)",
        agent.awaitResult("pin-3", false).getString("error"));

    String expired = signedWithJq(new JsonObject().put("id", "pin-4").put("action", "unpin")
        .put("ts", Instant.now().getEpochSecond() - 600), secret);
    operator.publish(agent.topic("cmd"), expired);
    assertTrue(agent.awaitResult("pin-4", false).getString("error").contains("away from the agent's clock"));

    operator.publish(agent.topic("cmd"), "{not json");
    JsonObject garbage = agent.awaitResult(null, false);
    assertTrue(garbage.containsKey("id"));
    assertTrue(garbage.getString("error").startsWith("command refused: payload is not valid JSON"));
    assertEquals(List.of("pin-1"), agent.executedIds());
  }

  @Test
  void commandForAnotherHostIsNotSeenButOneForAllHostsIs() throws Exception {
    Agent agent = startAgent(TestBed.env("MQTT_URL"), null, null);

    operator.publish(prefix + "/otherhost/cmd", "{\"id\":\"other-1\",\"action\":\"rollback\"}");
    operator.publish(prefix + "/all/cmd", "{\"id\":\"all-1\",\"action\":\"status\"}");
    operator.publish(agent.topic("cmd"), "{\"id\":\"mine-1\",\"action\":\"deploy\",\"tag\":\"v2\"}");

    assertNull(agent.awaitResult("all-1", true).getValue("deploy_id"));
    assertEquals("deploy-1", agent.awaitResult("mine-1", true).getString("deploy_id"));
    // the broker routes in order of receipt, so other-1 would have arrived before mine-1
    assertEquals(List.of("all-1", "mine-1"), agent.executedIds());
    assertTrue(agent.resultsFor("other-1", null).isEmpty());
  }

  @Test
  void handlerFailureIsAnsweredWithItsMessage() throws Exception {
    Agent agent = startAgent(TestBed.env("MQTT_URL"), null, null);
    operator.publish(agent.topic("cmd"), "{\"id\":\"rb-1\",\"action\":\"rollback\"}");
    assertEquals("rollback refused: there is no previous good image (deploy one first)",
        agent.awaitResult("rb-1", false).getString("error"));
  }

  @Test
  void retainedStatusIsReadableWithMosquittoSub() throws Exception {
    Agent agent = startAgent(TestBed.env("MQTT_URL"), null, null);

    JsonObject retained = retainedStatus(agent);
    assertEquals(agent.status.get(), retained);

    JsonObject deploying = new JsonObject().put("host", agent.host).put("state", "deploying")
        .put("deploy_in_progress", true);
    agent.bridge.publishStatus(deploying).await(10, TimeUnit.SECONDS);
    assertEquals(deploying, retainedStatus(agent));

    agent.bridge.publishEvent(new JsonObject().put("deploy_id", "d-1").put("step", "pull").put("state", "done"))
        .await(10, TimeUnit.SECONDS);
    MqttOperator.Message event = agent.subscription.await("on " + agent.topic("events"), WAIT,
        m -> m.topic().equals(agent.topic("events")));
    assertEquals("pull", event.json().getString("step"));

    agent.bridge.stop().await(10, TimeUnit.SECONDS);
    assertEquals(new JsonObject().put("host", agent.host).put("state", "offline"),
        retainedStatus(agent));
  }

  @Test
  void tlsConnectionTrustsTheTestBedCaOnly() throws Exception {
    Path ca = Path.of(TestBed.env("MQTT_CA_FILE"));
    Agent agent = startAgent(TestBed.env("MQTTS_URL"), ca, null);
    assertTrue(agent.bridge.connected());
    operator.publish(prefix + "/tags", "{\"image\":\"" + image + "\",\"tag\":\"v2\"}");
    await(() -> !agent.triggers.isEmpty(), "a tag event over TLS");

    Path otherCa = selfSignedCa();
    Agent untrusting = agent(TestBed.env("MQTTS_URL"), otherCa, null, null);
    untrusting.bridge.start().await(30, TimeUnit.SECONDS);
    assertFalse(untrusting.bridge.connected(), "a broker certificate from another CA must not be trusted");

    // the test bed's certificate names 127.0.0.1 and localhost, so reaching it as 127.0.0.2 must fail verification
    URI tls = URI.create(TestBed.env("MQTTS_URL"));
    TcpProxy otherName = new TcpProxy(InetAddress.getByName("127.0.0.2"), tls.getHost(), tls.getPort());
    proxies.add(otherName);
    Agent misnamed = agent("mqtts://127.0.0.2:" + otherName.port(), ca, null, null);
    misnamed.bridge.start().await(30, TimeUnit.SECONDS);
    assertFalse(misnamed.bridge.connected(), "a broker certificate for another host name must not be accepted");
  }

  @Test
  void lastWillSaysOfflineWhenTheConnectionDiesWithoutDisconnect() throws Exception {
    TcpProxy proxy = proxyToBroker();
    Agent agent = startAgent("mqtt://127.0.0.1:" + proxy.port(), null, null);

    proxy.cutAndHoldDown();
    MqttOperator.Message will = agent.subscription.await("offline on " + agent.topic("status"), WAIT,
        m -> m.topic().equals(agent.topic("status")) && m.payload().contains("offline"));
    assertEquals(new JsonObject().put("host", agent.host).put("state", "offline"), will.json());
    await(() -> !agent.bridge.connected(), "the bridge noticing the lost connection");

    proxy.restore();
    await(agent.bridge::connected, "the bridge reconnecting");
    assertEquals(agent.status.get(), retainedStatus(agent));
  }

  @Test
  void reconnectsAfterTheConnectionDropsAndCommandsExecuteExactlyOnce() throws Exception {
    TcpProxy proxy = proxyToBroker();
    Agent agent = startAgent("mqtt://127.0.0.1:" + proxy.port(), null, null);
    operator.publish(agent.topic("cmd"), "{\"id\":\"before\",\"action\":\"status\"}");
    agent.awaitResult("before", true);

    proxy.cutAndHoldDown();
    await(() -> !agent.bridge.connected(), "the bridge noticing the lost connection");
    operator.publish(agent.topic("cmd"), "{\"id\":\"while-down\",\"action\":\"deploy\",\"tag\":\"v2\"}");
    proxy.restore();
    await(agent.bridge::connected, "the bridge reconnecting");

    operator.publish(agent.topic("cmd"), "{\"id\":\"after\",\"action\":\"pin\",\"digest\":\"" + DIGEST + "\"}");
    assertEquals("deploy-1", agent.awaitResult("while-down", true).getString("deploy_id"));
    assertEquals("deploy-2", agent.awaitResult("after", true).getString("deploy_id"));

    proxy.cutAndHoldDown();
    await(() -> !agent.bridge.connected(), "the bridge noticing the second drop");
    proxy.restore();
    await(agent.bridge::connected, "the bridge reconnecting again");
    operator.publish(agent.topic("cmd"), "{\"id\":\"barrier\",\"action\":\"status\"}");
    agent.awaitResult("barrier", true);

    assertEquals(List.of("before", "while-down", "after", "barrier"), agent.executedIds());
    for (String id : List.of("before", "while-down", "after", "barrier")) {
      // results are published at least once, so a result whose PUBACK was cut off may arrive twice, identically
      assertEquals(1, agent.resultsFor(id, true).stream().distinct().count(), "distinct ok results for " + id);
      assertTrue(agent.resultsFor(id, false).isEmpty(), "no failure results for " + id);
    }
  }

  @Test
  void brokerRedeliveryOfAnExecutedCommandIsNotExecutedAgain() throws Exception {
    TcpProxy proxy = proxyToBroker();
    Agent agent = startAgent("mqtt://127.0.0.1:" + proxy.port(), null, null);

    // the broker's copy stays unacknowledged: the bridge's PUBACK (and its result) never reach the broker
    proxy.swallowFromClient(true);
    operator.publish(agent.topic("cmd"), "{\"id\":\"redelivered\",\"action\":\"deploy\",\"tag\":\"v2\"}");
    await(() -> agent.executedIds().contains("redelivered"), "the command being executed");
    proxy.cutAndHoldDown();
    proxy.swallowFromClient(false);
    await(() -> !agent.bridge.connected(), "the bridge noticing the lost connection");
    proxy.restore();

    assertEquals("deploy-1", agent.awaitResult("redelivered", true).getString("deploy_id"));
    await(() -> agent.counts.contains("duplicate"), "the broker's redelivery being recognised as a duplicate");
    operator.publish(agent.topic("cmd"), "{\"id\":\"barrier\",\"action\":\"status\"}");
    agent.awaitResult("barrier", true);

    assertEquals(List.of("redelivered", "barrier"), agent.executedIds());
    assertTrue(agent.resultsFor("redelivered", false).isEmpty(), "a redelivery must not be answered as a failure");
  }

  private Agent startAgent(String url, Path ca, byte[] secret) throws Exception {
    String host = "h" + randomHex(4);
    MqttOperator.Sub subscription = operator.subscribe(prefix + "/" + host + "/#");
    Agent agent = agent(url, ca, secret, subscription, host);
    agent.bridge.start().await(30, TimeUnit.SECONDS);
    // the status is published after the subscriptions on the same connection, so once it is seen they are in place
    agent.subscription.await("idle status on " + agent.topic("status"), WAIT,
        m -> m.topic().equals(agent.topic("status")) && m.payload().contains("\"idle\""));
    assertTrue(agent.bridge.connected());
    return agent;
  }

  private Agent agent(String url, Path ca, byte[] secret, MqttOperator.Sub subscription) throws Exception {
    return agent(url, ca, secret, subscription, "h" + randomHex(4));
  }

  private Agent agent(String url, Path ca, byte[] secret, MqttOperator.Sub subscription, String host)
      throws Exception {
    hostsUsed.add(host);
    MqttSettings settings = new MqttSettings(url, TestBed.env("MQTT_AGENT_USER"), TestBed.secret("MQTT_AGENT_PASSWORD_FILE"),
        ca, prefix, host, secret, temp.resolve(host), image);
    Agent agent = new Agent(host, settings, subscription);
    agents.add(agent);
    return agent;
  }

  private TcpProxy proxyToBroker() throws IOException {
    URI plain = URI.create(TestBed.env("MQTT_URL"));
    TcpProxy proxy = new TcpProxy(plain.getHost(), plain.getPort());
    proxies.add(proxy);
    return proxy;
  }

  private Path selfSignedCa() throws Exception {
    Path key = temp.resolve("other-ca.key");
    Path cert = temp.resolve("other-ca.crt");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=not the test bed CA", "-keyout", key.toString(), "-out", cert.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl failed: " + out);
    return cert;
  }

  /** The command signed as an operator would sign it (jq's canonical form, HMAC-SHA256), as the payload to publish. */
  private static String signedWithJq(JsonObject command, byte[] secret) throws Exception {
    return MqttOperator.sign(command, secret).encode();
  }

  /** The status retained for the agent's host, as a new subscriber gets it. */
  private static JsonObject retainedStatus(Agent agent) {
    MqttOperator.Message m = operator.retained(agent.topic("status"));
    assertNotNull(m, "no retained message on " + agent.topic("status"));
    return m.json();
  }

  private static void await(BooleanSupplier condition, String what) {
    Await.until(what, WAIT, Duration.ofMillis(20), condition);
  }

  /** The suite brings the bed up first; this only turns a missing broker into a clear message. */
  private static void checkPort(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5000);
    } catch (IOException e) {
      throw new IllegalStateException("test bed: nothing listens on " + host + ":" + port
          + " (is mosquitto up? run scripts/testbed status)", e);
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** One bridge with recording fakes for the policy, the counter and the command handler. */
  private static final class Agent {
    final String host;
    final MqttBridge bridge;
    final MqttOperator.Sub subscription;
    final List<Trigger> triggers = new CopyOnWriteArrayList<>();
    final List<String> counts = new CopyOnWriteArrayList<>();
    final List<Command> commands = new CopyOnWriteArrayList<>();
    final AtomicReference<JsonObject> status = new AtomicReference<>();
    private final String prefixOfHost;
    private final AtomicInteger deploys = new AtomicInteger();

    Agent(String host, MqttSettings settings, MqttOperator.Sub subscription) {
      this.host = host;
      this.subscription = subscription;
      this.prefixOfHost = settings.topicPrefix() + "/" + host;
      status.set(new JsonObject().put("host", host).put("state", "idle").put("deploy_in_progress", false));
      bridge = new MqttBridge(vertx, settings, trigger -> {
        triggers.add(trigger);
        return Verdict.ACCEPTED;
      }, (source, result) -> {
        assertEquals(Source.MQTT, source);
        counts.add(result);
      }, command -> {
        commands.add(command);
        return switch (command.action()) {
          case PIN, DEPLOY -> Future.succeededFuture("deploy-" + deploys.incrementAndGet());
          case ROLLBACK -> Future.failedFuture(
              new IllegalStateException("rollback refused: there is no previous good image (deploy one first)"));
          default -> Future.succeededFuture(null);
        };
      }, status::get);
    }

    String topic(String suffix) {
      return prefixOfHost + "/" + suffix;
    }

    List<String> executedIds() {
      return commands.stream().map(Command::id).toList();
    }

    JsonObject awaitResult(String id, boolean ok) {
      return subscription.await("result " + id + " ok=" + ok, WAIT, m -> isResult(m, id, ok)).json();
    }

    List<JsonObject> resultsFor(String id, Boolean ok) {
      return subscription.messages(m -> isResult(m, id, ok)).stream().map(MqttOperator.Message::json).toList();
    }

    private boolean isResult(MqttOperator.Message m, String id, Boolean ok) {
      if (!m.topic().equals(topic("cmd/result"))) {
        return false;
      }
      JsonObject json = m.json();
      return java.util.Objects.equals(json.getValue("id"), id) && (ok == null || ok.equals(json.getBoolean("ok")));
    }
  }
}
