package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** Bounded steps: a gate hook that hangs without a word is killed at deploy.gate_timeout, and the queue moves on. */
class SilentGateHookIsKilledIT extends OneOdooScenario {
  private static boolean sleeping(int seconds) {
    return TestBed.exec(List.of("pgrep", "-f", "^sleep " + seconds + "$"), Map.of(), Duration.ofSeconds(5)).code() == 0;
  }

  @Test
  void aHookThatSleepsSilentlyIsKilledAndEachDeployGetsItsVerdict() throws Exception {
    int seconds = 3000 + ThreadLocalRandom.current().nextInt(1000);
    odoo = new OdooFixture("it-hook", "it_hook", 18074, false).fresh("v1").start("v1");
    String before = docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", odoo.name).strip();
    agent = new AgentProcess("hook", odoo, 19084, 19094).set("deploy.gate_hooks", List.of("sleep " + seconds))
        .set("deploy.gate_timeout", "3s").start();

    JsonObject first = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(60));
    JsonObject second = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(60));

    for (JsonObject d : List.of(first, second)) {
      assertEquals("failed", d.getString("outcome"), d.encode());
      assertTrue(d.getString("reason").contains("did not finish within deploy.gate_timeout (3 s) and was killed"), d.getString("reason"));
      assertTrue(d.getString("reason").endsWith("(nothing was changed)"), d.getString("reason"));
    }
    assertEquals(before, docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", odoo.name).strip(), "Odoo was not touched");
    TestBed.await("no hook process left", Duration.ofSeconds(10), () -> !sleeping(seconds));
    assertEquals("idle", agent.status().getString("state"));
  }
}
