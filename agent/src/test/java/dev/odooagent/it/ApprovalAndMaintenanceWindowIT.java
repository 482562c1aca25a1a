package dev.odooagent.it;

import static dev.odooagent.it.MqttOperator.jsonWith;
import static dev.odooagent.it.EventsSupport.metric;
import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.it.MqttOperator.Sub;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Issue 14 on the real bed: in approval mode each version the channel moves to waits as {@code pending} until an
 * operator approves it (CLI, signed MQTT command, HTTP); outside the maintenance window a version waits, an operator
 * deploy does not, and the window opening deploys it with no operator, across an agent restart.
 */
// its two scenarios share nothing (own container, ports, channel, topics) and mostly wait: they run side by side
@Execution(ExecutionMode.CONCURRENT)
class ApprovalAndMaintenanceWindowIT {
  private static final Duration DEPLOY = Duration.ofSeconds(180);
  private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

  OdooFixture odoo;
  AgentProcess agent;
  MqttOperator mqtt;
  String prefix;
  String channel;

  @AfterEach
  void down() throws Exception {
    try {
      if (agent != null) {
        agent.close();
      }
      if (mqtt != null) {
        mqtt.clearRetained(prefix + "/it-approval/status");
        // the agent's persistent session would otherwise stay in the broker for good
        mqtt.dropSession("odoo-agent-it-approval", prefix + "/cleanup");
        mqtt.close();
      }
    } finally {
      if (odoo != null) {
        odoo.close();
      }
    }
  }

  /** Points this test's own channel tag at a bed variant in the real registry, as CI's push would. */
  private void pushChannel(String variant) {
    docker("tag", TestBed.image() + "@" + TestBed.digest(variant), TestBed.ref(channel));
    docker("push", "-q", TestBed.ref(channel));
  }

  /** A window of every day that opens at {@code opens} (a whole minute) and lasts 30 minutes. */
  private static String windowOpeningAt(Instant opens) {
    return "Mon-Sun " + HH_MM.format(opens) + "-" + HH_MM.format(opens.plus(30, ChronoUnit.MINUTES)) + " UTC";
  }

  private JsonObject pending() {
    return agent.status().getJsonObject("pending");
  }

  /** Waits until the poll has made {@code variant} the pending version, and returns /status.pending. */
  private JsonObject awaitPending(String variant) {
    String digest = TestBed.digest(variant);
    TestBed.await(variant + " pending in /status (log: " + agent.log + ")", Duration.ofSeconds(60),
        () -> pending() != null && digest.equals(pending().getString("digest")));
    return pending();
  }

  private static String deployId(String cliOut) {
    assertTrue(cliOut.startsWith("accepted: deploy "), cliOut);
    return cliOut.substring("accepted: deploy ".length()).strip();
  }

  private void assertDeployed(JsonObject verdict, String variant, String source) {
    assertEquals("success", verdict.getString("outcome"), verdict.encode());
    assertEquals(TestBed.digest(variant), verdict.getJsonObject("to").getString("digest"));
    assertEquals(source, verdict.getString("source"));
    assertEquals(TestBed.digest(variant), odoo.runningDigest());
    assertNull(pending(), "approving consumed the pending version");
    assertEquals(0.0, metric(agent, "odoo_agent_pending"));
  }

  @Test
  void inApprovalModeEachChannelVersionWaitsUntilApprovedByCliSignedMqttOrHttp() throws Exception {
    channel = "it-appr-" + EventsSupport.nonce();
    prefix = "odoo/it-appr-" + EventsSupport.nonce();
    String cmd = prefix + "/it-approval/cmd";
    String result = prefix + "/it-approval/cmd/result";
    byte[] secret = ("it-appr-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
    Path secretFile = EventsSupport.secretFile("approval-commands", new String(secret, StandardCharsets.UTF_8));
    odoo = new OdooFixture("it-approval", "it_approval", 18081, false).fresh("v1").start("v1");
    pushChannel("v1");
    mqtt = new MqttOperator();
    Sub results = mqtt.subscribe(result);
    agent = new AgentProcess("approval", odoo, 19101, 19111).set("service.track", channel)
        .set("registry.poll_interval", "1s").set("deploy.health_timeout", "60s").set("deploy.auto", "false")
        .set("mqtt.url", TestBed.env("MQTT_URL")).set("mqtt.username", TestBed.env("MQTT_AGENT_USER"))
        .set("mqtt.password_file", TestBed.env("MQTT_AGENT_PASSWORD_FILE")).set("mqtt.topic_prefix", prefix)
        .set("mqtt.command_secret_file", secretFile.toString()).start();
    TestBed.await("odoo_agent_mqtt_connected 1", Duration.ofSeconds(30), () -> metric(agent, "odoo_agent_mqtt_connected") == 1.0);

    TestBed.Result nothing = agent.cli("approve");
    assertEquals(1, nothing.code(), nothing.out() + nothing.err());
    assertTrue(nothing.err().contains("nothing is pending"), nothing.err());
    HttpResponse<String> none = agent.post("/approve", new JsonObject());
    assertEquals(409, none.statusCode(), none.body());
    assertTrue(new JsonObject(none.body()).getString("error").startsWith("nothing is pending"), none.body());

    pushChannel("upgrade-slow");
    awaitPending("upgrade-slow");
    pushChannel("v2");
    JsonObject p = awaitPending("v2");
    assertEquals(channel, p.getString("tag"), p.encode());
    assertTrue(p.getString("reason").startsWith("approval mode (deploy.auto: false)"), p.encode());
    assertEquals(1.0, metric(agent, "odoo_agent_pending"));
    mqtt.awaitRetained("the retained MQTT status to name the pending v2", Duration.ofSeconds(30), prefix + "/it-approval/status",
        m -> m.json().getJsonObject("pending") != null
            && TestBed.digest("v2").equals(m.json().getJsonObject("pending").getString("digest")));
    assertEquals(0, agent.history().size(), "nothing deployed without approval");
    assertEquals(odoo.startedDigest, odoo.runningDigest());

    TestBed.Result approved = agent.cli("approve");
    assertEquals(0, approved.code(), approved.out() + approved.err());
    assertDeployed(agent.awaitVerdict(deployId(approved.out()), DEPLOY), "v2", "admin");

    pushChannel("slow-start");
    awaitPending("slow-start");
    JsonObject unsigned = new JsonObject().put("id", "approve-" + EventsSupport.nonce()).put("action", "approve");
    mqtt.publish(cmd, unsigned.encode());
    JsonObject refused = results.await("the unsigned approve refused", Duration.ofSeconds(30),
        jsonWith(result, "id", unsigned.getString("id"))).json();
    assertFalse(refused.getBoolean("ok"), refused.encode());
    assertTrue(refused.getString("error").contains("sig is missing"), refused.encode());
    assertEquals(TestBed.digest("slow-start"), pending().getString("digest"), "an unsigned approval changes nothing");
    JsonObject signed = MqttOperator.sign(new JsonObject().put("id", "approve-" + EventsSupport.nonce()).put("action", "approve")
        .put("ts", Instant.now().getEpochSecond()), secret);
    mqtt.publish(cmd, signed.encode());
    JsonObject ok = results.await("the signed approve's result", Duration.ofSeconds(30),
        jsonWith(result, "id", signed.getString("id"))).json();
    assertTrue(ok.getBoolean("ok"), ok.encode());
    assertDeployed(agent.awaitVerdict(ok.getString("deploy_id"), DEPLOY), "slow-start", "mqtt");

    pushChannel("upgrade-slow");
    awaitPending("upgrade-slow");
    HttpResponse<String> http = agent.post("/approve", new JsonObject());
    assertEquals(202, http.statusCode(), http.body());
    assertDeployed(agent.awaitVerdict(new JsonObject(http.body()).getString("deploy_id"), DEPLOY), "upgrade-slow", "admin");
    assertEquals(3, agent.history().size(), agent.history().encode());
  }

  @Test
  void outsideTheWindowAVersionWaitsAnOperatorDeploysAnywayAndTheWindowOpeningDeploysItAfterARestart() throws Exception {
    channel = "it-win-" + EventsSupport.nonce();
    odoo = new OdooFixture("it-window", "it_window", 18082, false).fresh("v1").start("v1");
    pushChannel("v1");
    // opens in an hour: however long the agent takes to start and deploy for the operator, the window stays shut
    Instant opens = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(60, ChronoUnit.MINUTES);
    String window = windowOpeningAt(opens);
    agent = new AgentProcess("window", odoo, 19102, 19112).set("service.track", channel)
        .set("registry.poll_interval", "1s").set("deploy.health_timeout", "60s").set("deploy.window", window).start();

    pushChannel("upgrade-slow");
    JsonObject p = awaitPending("upgrade-slow");
    assertEquals("outside the maintenance window " + window + " (deploy.window); it opens at " + opens, p.getString("reason"));
    assertEquals(opens.toString(), p.getString("next_opening"));
    assertEquals(1.0, metric(agent, "odoo_agent_pending"));
    assertEquals(0, agent.history().size());

    JsonObject operator = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), DEPLOY);
    assertEquals("success", operator.getString("outcome"), operator.encode());
    assertTrue(Instant.parse(operator.getString("started")).isBefore(opens), "deployed outside the window: " + operator.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());
    assertEquals(TestBed.digest("upgrade-slow"), pending().getString("digest"), "the channel's version still waits");

    // Restarted with the poll off, so that only the pending version kept in state_dir can bring upgrade-slow, and with
    // the window moved to open one to two minutes after the restart begins: a start on a loaded machine fits in that,
    // and the release after it is the agent's own doing.
    agent.stop();
    opens = Instant.now().plusSeconds(75).truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
    agent.set("registry.poll_interval", "0").set("deploy.window", windowOpeningAt(opens)).start();
    assertEquals(TestBed.digest("upgrade-slow"), pending().getString("digest"), "pending survives the restart");
    assertEquals(opens.toString(), pending().getString("next_opening"));

    JsonObject released = EventsSupport.awaitDeploy(agent, "the window opening to deploy upgrade-slow",
        Duration.between(Instant.now(), opens).plus(DEPLOY), EventsSupport.bySource("poll", TestBed.digest("upgrade-slow")));
    assertEquals("success", released.getString("outcome"), released.encode());
    assertFalse(Instant.parse(released.getString("started")).isBefore(opens), "started inside the window: " + released.encode());
    assertEquals(TestBed.digest("upgrade-slow"), odoo.runningDigest());
    assertNull(pending());
    assertEquals(0.0, metric(agent, "odoo_agent_pending"));
    assertEquals(2, agent.history().size(), agent.history().encode());
  }
}
