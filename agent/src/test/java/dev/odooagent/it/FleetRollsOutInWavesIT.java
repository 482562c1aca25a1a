package dev.odooagent.it;

import static dev.odooagent.it.EventsSupport.awaitDeploy;
import static dev.odooagent.it.EventsSupport.bySource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three real agents in one fleet group on the test bed's broker, with signed fleet messages: a canary (wave 0) and
 * two hosts of wave 1, each with its own stand-in Odoo. A bad image stops at the canary; a good one reaches wave 1
 * only after the canary's soak; a canary gone by its last will holds wave 1 until fleet.wave_timeout gives up.
 */
class FleetRollsOutInWavesIT {
  static final String GROUP = "shop";
  static final Duration SOAK = Duration.ofSeconds(5);
  static final String CANARY = "it-fl-c0";
  static final String W1A = "it-fl-w1a";
  static final String W1B = "it-fl-w1b";

  /** Each scenario has a topic prefix, and so a group, of its own. */
  final String prefix = "odoo/it-fl-" + EventsSupport.nonce();
  final OdooFixture[] odoo = new OdooFixture[3];
  AgentProcess canary;
  AgentProcess w1a;
  AgentProcess w1b;
  MqttOperator mqtt;
  Path secret;

  @BeforeEach
  void up() throws IOException {
    secret = Files.createTempFile("it-fl-secret", "");
    Files.writeString(secret, "fleet-it-" + EventsSupport.nonce());
    mqtt = new MqttOperator();
    String[] names = {"c0", "w1a", "w1b"};
    AgentProcess[] agents = new AgentProcess[3];
    for (int i = 0; i < 3; i++) {
      odoo[i] = new OdooFixture("it-fl-" + names[i], "it_fl_" + names[i], 18460 + i, false).fresh("v1").start("v1");
      agents[i] = new AgentProcess("fl-" + names[i], odoo[i], 19460 + i, 19470 + i)
          .set("mqtt.url", TestBed.env("MQTT_URL"))
          .set("mqtt.username", TestBed.env("MQTT_AGENT_USER"))
          .set("mqtt.password_file", TestBed.env("MQTT_AGENT_PASSWORD_FILE"))
          .set("mqtt.topic_prefix", prefix)
          .set("mqtt.command_secret_file", secret.toString())
          .set("fleet.group", GROUP)
          .set("fleet.wave", i == 0 ? "0" : "1")
          .set("fleet.soak", SOAK.toSeconds() + "s")
          .set("fleet.wave_timeout", "5m");
    }
    canary = agents[0].start();
    w1a = agents[1].start();
    w1b = agents[2].start();
    for (AgentProcess a : agents) {
      TestBed.await(a.log + ": v1 running and healthy", Duration.ofSeconds(60), () -> TestBed.digest("v1").equals(
          a.status().getJsonObject("current").getString("digest")) && "pass".equals(a.status().getString("health")));
    }
    for (AgentProcess a : List.of(w1a, w1b)) {
      TestBed.await(a.log + ": the canary's gate for wave 1, open for v1", Duration.ofSeconds(60), () -> {
        JsonObject gate = a.status().getJsonObject("fleet").getJsonObject("gate");
        return gate != null && gate.getBoolean("open") && TestBed.digest("v1").equals(gate.getString("digest"));
      });
    }
  }

  @AfterEach
  void down() throws Exception {
    for (AgentProcess a : new AgentProcess[] {canary, w1a, w1b}) {
      if (a != null) {
        a.close();
      }
    }
    if (mqtt != null) {
      for (String h : List.of(CANARY, W1A, W1B)) {
        mqtt.clearRetained(prefix + "/" + h + "/status");
        mqtt.clearRetained(prefix + "/fleet/" + GROUP + "/" + (h.equals(CANARY) ? 0 : 1) + "/" + h);
        mqtt.dropSession("odoo-agent-" + h, prefix + "/cleanup");
      }
      mqtt.clearRetained(prefix + "/fleet/" + GROUP + "/gate/1");
      mqtt.clearRetained(prefix + "/fleet/" + GROUP + "/rolled_back/" + TestBed.digest("never-healthy"));
      mqtt.close();
    }
    for (OdooFixture o : odoo) {
      if (o != null) {
        o.close();
      }
    }
    Files.deleteIfExists(secret);
  }

  void announce(String tag) throws IOException {
    mqtt.publish(prefix + "/tags", new JsonObject().put("image", TestBed.image()).put("tag", tag).encode());
  }

  static boolean deployed(AgentProcess a, String digest) {
    return EventsSupport.deploy(a, d -> d.getJsonObject("to") != null && digest.equals(d.getJsonObject("to").getString("digest")))
        .isPresent();
  }

  @Test
  void aBadImageStopsAtTheCanaryAndAGoodOneReachesWave1OnlyAfterTheSoak() throws IOException {
    String bad = TestBed.digest("never-healthy");
    announce("never-healthy");
    JsonObject rolledBack = awaitDeploy(canary, "the canary's deploy of never-healthy", Duration.ofSeconds(180),
        bySource("mqtt", bad));
    assertEquals("rolled_back", rolledBack.getString("outcome"), rolledBack.encode());
    for (AgentProcess a : List.of(w1a, w1b)) {
      TestBed.await(a.log + ": the group's rollback of never-healthy refused here", Duration.ofSeconds(60),
          () -> a.log().contains("is refused here: fleet group " + GROUP + ": rolled back on host " + CANARY)
              && a.status().getValue("pending") == null);
      assertFalse(deployed(a, bad), a.log + ": wave 1 never started never-healthy");
      assertEquals(TestBed.digest("v1"), odoo[a == w1a ? 1 : 2].runningDigest());
    }
    announce("never-healthy");
    for (AgentProcess a : List.of(w1a, w1b)) {
      TestBed.await(a.log + ": a second announcement of never-healthy is refused", Duration.ofSeconds(30),
          () -> a.log().contains(bad + " is refused on this host (fleet group " + GROUP));
    }

    String good = TestBed.digest("v2");
    announce("v2");
    JsonObject first = awaitDeploy(canary, "the canary's deploy of v2", Duration.ofSeconds(180), bySource("mqtt", good));
    assertEquals("success", first.getString("outcome"), first.encode());
    Instant canaryDone = Instant.parse(first.getString("finished"));
    for (AgentProcess a : List.of(w1a, w1b)) {
      JsonObject d = awaitDeploy(a, "wave 1's deploy of v2", Duration.ofSeconds(180), bySource("mqtt", good));
      assertEquals("success", d.getString("outcome"), d.encode());
      Instant started = Instant.parse(d.getString("started"));
      assertFalse(started.isBefore(canaryDone.plus(SOAK)), a.log + ": wave 1 started v2 at " + started
          + ", before the canary's commit at " + canaryDone + " plus the soak of " + SOAK);
    }
  }

  @Test
  void aCanaryGoneByItsLastWillHoldsWave1UntilTheWaveTimeoutGivesUp() throws Exception {
    w1b.stop();
    w1b.set("fleet.wave_timeout", "15s").start();
    canary.kill9();
    mqtt.awaitRetained("the canary's last will", Duration.ofSeconds(30), prefix + "/" + CANARY + "/status",
        m -> "offline".equals(m.json().getString("state")));

    String next = TestBed.digest("upgrade-slow");
    announce("upgrade-slow");
    TestBed.await(w1a.log + ": wave 1 waits and names the canary", Duration.ofSeconds(60), () -> {
      JsonObject f = w1a.status().getJsonObject("fleet");
      return f.getBoolean("waiting") && next.equals(f.getString("digest"))
          && new JsonArray().add(CANARY).equals(f.getJsonArray("waiting_for"));
    });
    TestBed.await("odoo_agent_fleet_waiting 1 on " + W1A, Duration.ofSeconds(10),
        () -> EventsSupport.metric(w1a, "odoo_agent_fleet_waiting") == 1.0);
    assertTrue(w1a.status().getJsonObject("fleet").getString("reason").contains(CANARY + " is offline"),
        w1a.status().encode());

    // an unsigned gate that would let wave 1 go is ignored: only holders of the command secret speak for the fleet
    mqtt.publish(prefix + "/fleet/" + GROUP + "/gate/1", new JsonObject().put("wave", 1).put("digest", next).put("open", true)
        .put("waiting_for", new JsonArray()).put("watchers", new JsonArray().add(W1A)).put("by", "intruder").encode()
        .getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
    TestBed.await(w1a.log + ": the forged gate ignored", Duration.ofSeconds(30),
        () -> w1a.log().contains("ignoring the fleet message on " + prefix + "/fleet/" + GROUP + "/gate/1"));

    TestBed.await(w1b.log + ": wave 1 gives up after fleet.wave_timeout", Duration.ofSeconds(90), () -> {
      JsonObject gaveUp = w1b.status().getJsonObject("fleet").getJsonObject("gave_up");
      return gaveUp != null && next.equals(gaveUp.getString("digest"));
    });
    JsonObject f = w1b.status().getJsonObject("fleet");
    assertTrue(f.getJsonObject("gave_up").getString("reason").contains("gave up on " + next + " after fleet.wave_timeout"),
        f.encode());
    assertFalse(f.getBoolean("waiting"));
    TestBed.await("odoo_agent_fleet_waiting 0 on " + W1B, Duration.ofSeconds(10),
        () -> EventsSupport.metric(w1b, "odoo_agent_fleet_waiting") == 0.0);
    assertEquals(null, w1b.status().getValue("pending"));
    assertFalse(deployed(w1b, next), "nothing deployed after giving up");
    assertEquals(TestBed.digest("v1"), odoo[2].runningDigest());
    assertTrue(w1a.status().getJsonObject("fleet").getBoolean("waiting"), "the host with the longer timeout still waits");
    assertFalse(deployed(w1a, next));
  }
}
