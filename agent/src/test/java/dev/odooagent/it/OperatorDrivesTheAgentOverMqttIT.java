package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.awaitDeploy;
import static dev.odooagent.it.EventsSupport.bySource;
import static dev.odooagent.it.EventsSupport.deployments;
import static dev.odooagent.it.EventsSupport.events;
import static dev.odooagent.it.EventsSupport.metric;
import static dev.odooagent.it.MqttOperator.jsonWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.it.MqttOperator.Message;
import dev.odooagent.it.MqttOperator.Sub;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An operator drives the agent over MQTT on the real test bed, with the real {@code mosquitto_pub}/{@code mosquitto_sub}:
 * tag events, pin and unpin, command results, the retained status and its last will, and a broker restarted mid-run.
 * Each test first brings the service to the version it starts from, through the admin API.
 */
class OperatorDrivesTheAgentOverMqttIT {
  static final String HOST = "it-ev-mqtt";
  /** Unique per run, under the odoo/ tree the test bed's ACL grants to the agent and the operator. */
  static final String PREFIX = "odoo/it-ev-" + EventsSupport.nonce();
  static final String TAGS = PREFIX + "/tags";
  static final String CMD = PREFIX + "/" + HOST + "/cmd";
  static final String RESULT = PREFIX + "/" + HOST + "/cmd/result";
  static final String STATUS = PREFIX + "/" + HOST + "/status";
  static final String EVENTS = PREFIX + "/" + HOST + "/events";

  static OdooFixture odoo;
  static AgentProcess agent;
  static MqttOperator mqtt;
  static Sub results;
  static Sub steps;
  static boolean brokerDown;

  @BeforeAll
  static void up() throws IOException {
    odoo = new OdooFixture("it-ev-mq", "it_ev_mq", 18262, false).fresh("v1").start("v1");
    mqtt = new MqttOperator();
    results = mqtt.subscribe(RESULT);
    steps = mqtt.subscribe(EVENTS);
    agent = new AgentProcess("ev-mqtt", odoo, 19262, 19272)
        .set("service.track", "latest")
        .set("mqtt.url", TestBed.env("MQTT_URL"))
        .set("mqtt.username", TestBed.env("MQTT_AGENT_USER"))
        .set("mqtt.password_file", TestBed.env("MQTT_AGENT_PASSWORD_FILE"))
        .set("mqtt.topic_prefix", PREFIX).start();
    TestBed.await("odoo_agent_mqtt_connected 1", Duration.ofSeconds(30), () -> connected() == 1.0);
    TestBed.await("the agent to see v1 running", Duration.ofSeconds(30),
        () -> TestBed.digest("v1").equals(agent.status().getJsonObject("current").getString("digest")));
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (brokerDown) {
        EventsSupport.testbedUp();
      }
    } finally {
      if (agent != null) {
        agent.close();
      }
      if (mqtt != null) {
        mqtt.clearRetained(STATUS);
        // the agent's persistent session would otherwise stay in the broker for good
        mqtt.dropSession("odoo-agent-" + HOST, PREFIX + "/cleanup");
        mqtt.close();
      }
      if (odoo != null) {
        odoo.close();
      }
    }
  }

  static double connected() {
    return metric(agent, "odoo_agent_mqtt_connected");
  }

  static JsonObject command(String id, String action, String field, String value) {
    JsonObject c = new JsonObject().put("id", id).put("action", action);
    return field == null ? c : c.put(field, value);
  }

  /**
   * Brings the service to {@code tag}, unpinned, as an operator would through the admin API (which may go back), and
   * waits until the agent sees it running and healthy.
   */
  static void startFrom(String tag) {
    if (agent.status().getValue("pinned") != null) {
      HttpResponse<String> r = agent.post("/unpin", new JsonObject());
      assertEquals(202, r.statusCode(), r.body());
      String id = new JsonObject(r.body()).getString("deploy_id");
      if (id != null) {
        agent.awaitVerdict(id, Duration.ofSeconds(120));
      }
    }
    String digest = TestBed.digest(tag);
    if (!digest.equals(odoo.runningDigest())) {
      JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", tag)), Duration.ofSeconds(120));
      assertEquals("success", d.getString("outcome"), "bringing the service to " + tag + ": " + d.encode());
    }
    TestBed.await("the agent to see " + tag + " running and healthy", Duration.ofSeconds(30), () -> digest.equals(agent.status()
        .getJsonObject("current").getString("digest")) && "pass".equals(agent.status().getString("health")));
  }

  /** Sends a command and returns its result from {@code sub}. */
  static JsonObject send(Sub sub, JsonObject command) throws IOException {
    mqtt.publish(CMD, command.encode());
    return sub.await("cmd/result of " + command.getString("id"), Duration.ofSeconds(30),
        jsonWith(RESULT, "id", command.getString("id"))).json();
  }

  @Test
  void aTagEventDeploysItAndEachStepIsPublished() throws IOException {
    startFrom("v1");
    // a version no other scenario here runs: automatic triggers never move a host back to one it has left
    String v2 = TestBed.digest("upgrade-slow");
    double accepted = events(agent, "mqtt", "accepted");

    mqtt.publish(TAGS, new JsonObject().put("image", TestBed.image()).put("tag", "upgrade-slow").encode());

    JsonObject d = awaitDeploy(agent, "the deploy of the MQTT tag event", Duration.ofSeconds(120), bySource("mqtt", v2));
    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals("upgrade-slow", d.getJsonObject("to").getString("tag"));
    assertEquals(v2, odoo.runningDigest());
    // The agent's own view (its observer) catches up within a probe or two; the pin below relies on it.
    TestBed.await("the agent to see upgrade-slow running and healthy", Duration.ofSeconds(30), () -> v2.equals(agent.status()
        .getJsonObject("current").getString("digest")) && "pass".equals(agent.status().getString("health")));
    assertEquals(accepted + 1, events(agent, "mqtt", "accepted"));
    Message verdict = steps.await("the verdict step on " + EVENTS, Duration.ofSeconds(10),
        m -> m.topic().equals(EVENTS) && d.getString("id").equals(m.json().getString("deploy_id")) && "verdict".equals(m.json().getString("step")));
    assertEquals("success", verdict.json().getString("state"));
    List<String> seen = steps.messages(m -> d.getString("id").equals(m.json().getString("deploy_id"))).stream()
        .map(m -> m.json().getString("step")).distinct().toList();
    assertTrue(seen.containsAll(List.of("pull", "stop old", "snapshot", "upgrade", "start new", "await healthy", "verdict")), "steps published: " + seen);
  }

  @Test
  void aPinHoldsWhileAChannelChangeIsIgnoredAndUnpinCatchesUp() throws IOException {
    startFrom("v2");
    String v2 = TestBed.digest("v2");
    String latest = TestBed.digest("latest");
    String n = EventsSupport.nonce();

    JsonObject pinned = send(results, command("pin-" + n, "pin", "digest", v2));
    assertEquals(Boolean.TRUE, pinned.getBoolean("ok"), pinned.encode());
    assertNull(pinned.getString("deploy_id"), "v2 already runs, so the pin deploys nothing: " + pinned.encode());
    assertEquals(v2, agent.status().getJsonObject("pinned").getString("digest"));
    assertEquals(1.0, metric(agent, "odoo_agent_pinned"));
    mqtt.awaitRetained("a retained status naming the pin", Duration.ofSeconds(15), STATUS, m -> m.json().getJsonObject("pinned") != null
        && v2.equals(m.json().getJsonObject("pinned").getString("digest")));

    Map<String, Double> before = deployments(agent);
    int history = agent.history().size();
    double ignored = events(agent, "mqtt", "ignored");
    // The channel's real head (latest is v1) arrives as a tag event while the pin holds.
    mqtt.publish(TAGS, new JsonObject().put("image", TestBed.image()).put("tag", "latest").put("digest", latest).encode());
    TestBed.await("the channel event counted ignored", Duration.ofSeconds(15), () -> events(agent, "mqtt", "ignored") == ignored + 1);
    assertTrue(agent.log().contains("mqtt trigger for latest ignored: a pin holds"), "ignored because of the pin");
    JsonObject refused = send(results, command("deploy-" + n, "deploy", "tag", "v1"));
    assertEquals(Boolean.FALSE, refused.getBoolean("ok"), refused.encode());
    assertTrue(refused.getString("error").contains("pinned"), refused.encode());
    assertFalse(agent.status().getBoolean("deploy_in_progress"));
    assertEquals(before, deployments(agent));
    assertEquals(history, agent.history().size());
    assertEquals(v2, odoo.runningDigest(), "the pin held v2");

    JsonObject unpinned = send(results, command("unpin-" + n, "unpin", null, null));
    assertEquals(Boolean.TRUE, unpinned.getBoolean("ok"), unpinned.encode());
    assertNotNull(unpinned.getString("deploy_id"), "the channel head differs, so unpin deploys it: " + unpinned.encode());
    JsonObject d = agent.awaitVerdict(unpinned.getString("deploy_id"), Duration.ofSeconds(120));
    assertEquals("success", d.getString("outcome"), d.encode());
    assertEquals(latest, d.getJsonObject("to").getString("digest"));
    assertEquals(latest, odoo.runningDigest(), "caught up with the channel");
    assertNull(agent.status().getValue("pinned"));
    assertEquals(0.0, metric(agent, "odoo_agent_pinned"));
  }

  @Test
  void aStatusCommandIsAnsweredAndTheRetainedStatusCarriesTheRunningImage() throws IOException {
    startFrom("latest");
    JsonObject r = send(results, command("status-" + EventsSupport.nonce(), "status", null, null));
    assertEquals(Boolean.TRUE, r.getBoolean("ok"), r.encode());
    String latest = TestBed.digest("latest");
    // The status is republished within a second of each change, so the retained one may lag the deploy just finished
    // (and the observer's first probe after it).
    JsonObject s = mqtt.awaitRetained("a retained status naming the running, healthy image", Duration.ofSeconds(15), STATUS,
        m -> latest.equals(m.json().getJsonObject("current").getString("digest")) && "pass".equals(m.json().getString("health"))).json();
    assertEquals(HOST, s.getString("host"));
    assertEquals("idle", s.getString("state"), s.encode());
    assertEquals(Boolean.FALSE, s.getBoolean("deploy_in_progress"));
    assertNull(s.getValue("pinned"));
  }

  /** Exclusive: it restarts the bed's broker, which other ITs are connected to, so it runs alone (agent/pom.xml). */
  @Test
  @Tag("exclusive")
  void afterABrokerRestartTheAgentReconnectsAndACommandExecutesExactlyOnce() throws IOException {
    startFrom("v1");
    try {
      brokerDown = true;
      EventsSupport.stopDaemon("mosquitto");
      TestBed.await("odoo_agent_mqtt_connected 0 with the broker down", Duration.ofSeconds(30), () -> connected() == 0.0);
    } finally {
      EventsSupport.testbedUp();
      brokerDown = false;
    }
    TestBed.await("odoo_agent_mqtt_connected back to 1", Duration.ofSeconds(90), () -> connected() == 1.0);

    String v2 = TestBed.digest("v2");
    Map<String, Double> before = deployments(agent);
    int history = agent.history().size();
    String id = "deploy-after-restart-" + EventsSupport.nonce();
    try (Sub after = mqtt.subscribe(RESULT)) {
      JsonObject r = send(after, command(id, "deploy", "tag", "v2"));
      assertEquals(Boolean.TRUE, r.getBoolean("ok"), r.encode());
      JsonObject d = agent.awaitVerdict(r.getString("deploy_id"), Duration.ofSeconds(120));
      assertEquals("success", d.getString("outcome"), d.encode());
      assertEquals(v2, odoo.runningDigest());
      // A later command's result is the barrier: results are published in order on one connection.
      send(after, command("barrier-" + EventsSupport.nonce(), "status", null, null));

      assertEquals(1, after.messages(jsonWith(RESULT, "id", id)).size(), "one result for " + id + ": " + after.raw());
      assertEquals(history + 1, agent.history().size(), "one deploy");
      assertEquals(before.get("success") + 1, deployments(agent).get("success"));
      assertEquals(before.get("skipped"), deployments(agent).get("skipped"));
    }
  }

  @Test
  void theLastWillSaysOfflineAfterTheAgentIsKilled() throws Exception {
    // Its own agent, on the same container: killing the shared one would take it from the other tests.
    String host = "it-ev-mqtt-will";
    String status = PREFIX + "/" + host + "/status";
    AgentProcess doomed = new AgentProcess("ev-mqtt-will", odoo, 19266, 19276)
        .set("mqtt.url", TestBed.env("MQTT_URL"))
        .set("mqtt.username", TestBed.env("MQTT_AGENT_USER"))
        .set("mqtt.password_file", TestBed.env("MQTT_AGENT_PASSWORD_FILE"))
        .set("mqtt.topic_prefix", PREFIX);
    try {
      doomed.start();
      mqtt.awaitRetained("its online status retained", Duration.ofSeconds(15), status, m -> host.equals(m.json().getString("host")));
      Sub live = mqtt.subscribe(status);
      live.await("the retained online status", Duration.ofSeconds(15), m -> m.retained() && host.equals(m.json().getString("host"))
          && m.json().containsKey("current"));

      doomed.kill9();

      JsonObject offline = new JsonObject().put("host", host).put("state", "offline");
      live.await("the last will on " + status, Duration.ofSeconds(30), m -> m.topic().equals(status) && offline.equals(m.json()));
      assertEquals(offline, mqtt.retained(status).json(), "the will is retained");
      assertFalse(doomed.alive());
      live.close();
    } finally {
      doomed.close();
      mqtt.clearRetained(status);
      mqtt.dropSession("odoo-agent-" + host, PREFIX + "/cleanup");
    }
  }
}
