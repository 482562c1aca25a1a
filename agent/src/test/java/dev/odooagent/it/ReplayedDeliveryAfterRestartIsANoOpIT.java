package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Forward only: after an agent restart, a byte-for-byte replay of an older signed GitHub delivery, and a fresh
 * delivery naming that older version, both leave the host on the newer version it runs.
 */
class ReplayedDeliveryAfterRestartIsANoOpIT extends OneOdooScenario {
  private static final String SECRET = "it-replay-secret";
  private static final int HOOKS = 19091;


  /** GitHub's own example of a published container package, naming one of the bed's tags and its digest. */
  private static byte[] packageEvent(String tag) throws Exception {
    String example = Files.readString(Path.of(ReplayedDeliveryAfterRestartIsANoOpIT.class
        .getResource("/github/package-published-container.json").toURI()));
    JsonObject payload = new JsonObject(example.replace("sha256:87659a809f0f9a2ce60a4049ca00dc5a75ec2db8602a5127046cdff57634e0c6",
        TestBed.digest(tag)));
    payload.getJsonObject("package").getJsonObject("package_version").getJsonObject("container_metadata").getJsonObject("tag")
        .put("name", tag);
    return payload.encode().getBytes(StandardCharsets.UTF_8);
  }

  private static Webhooks.Reply deliver(String delivery, byte[] body) {
    return Webhooks.post(HOOKS, "/hooks/github", Webhooks.githubHeaders("package", delivery, Webhooks.githubSignature(SECRET, body)), body);
  }

  private JsonObject awaitDeploys(int n) {
    TestBed.await(n + " deploys (log: " + agent.log + ")", Duration.ofSeconds(120),
        () -> agent.history().size() == n && !agent.status().getBoolean("deploy_in_progress"));
    return agent.history().getJsonObject(0);
  }

  @Test
  void aReplayOfAnOlderDeliveryAfterARestartDoesNotDowngrade() throws Exception {
    odoo = new OdooFixture("it-replay", "it_replay", 18071, false).fresh("v1").start("v1");
    Path secret = Files.createTempFile("gh", ".secret");
    Files.writeString(secret, SECRET);
    agent = new AgentProcess("replay", odoo, 19081, HOOKS).set("webhooks.github_secret_file", secret.toString())
        .set("webhooks.github_image", "ghcr.io/jgtolentino/odoo-ce").set("deploy.health_timeout", "60s").start();
    String nonce = Long.toHexString(System.nanoTime());
    byte[] v2 = packageEvent("v2");
    assertEquals(202, deliver("replay-v2-" + nonce, v2).status());
    assertEquals("success", awaitDeploys(1).getString("outcome"));
    assertEquals(202, deliver("replay-slow-" + nonce, packageEvent("slow-start")).status());
    JsonObject newest = awaitDeploys(2);
    assertEquals("success", newest.getString("outcome"), newest.encode());
    String running = odoo.runningDigest();
    assertEquals(TestBed.digest("slow-start"), running);

    agent.stop();
    agent.start();
    Webhooks.Reply replay = deliver("replay-v2-" + nonce, v2);
    assertEquals(200, replay.status(), replay.body());
    assertTrue(replay.body().contains("duplicate"), "the delivery id survived the restart: " + replay.body());
    Webhooks.Reply redelivered = deliver("replay-v2-again-" + nonce, v2);
    assertEquals(200, redelivered.status(), "a new delivery id for the older version is ignored: " + redelivered.body());
    TestBed.await("the ignored trigger to be counted", Duration.ofSeconds(10),
        () -> agent.metric("odoo_agent_events_total{host=\"it-replay\",result=\"ignored\",source=\"github\"}") >= 1.0);

    assertEquals(2, agent.history().size(), "nothing was deployed after the restart: " + agent.history().encode());
    assertEquals(running, odoo.runningDigest(), "the host still runs the newer version");
    assertTrue(agent.log().contains("automatic triggers only move forward"), "the log says why it was ignored");
  }
}
